using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PlanGatesAndDefaultRule : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "default_announcement_rule_created_at",
                table: "organizations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "incidents_team_graph_id",
                table: "organizations",
                type: "uuid",
                nullable: true);

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "basic",
                column: "includes",
                value: "Unlimited viewers\nDeclare incidents from Teams\nOne announcement rule\nSupport console for your admins\nDeactivation safety review");

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "enterprise",
                columns: new[] { "includes", "summary" },
                values: new object[] { "Everything in Pro\nTerms and invoicing agreed with us", "For large organisations that buy under their own terms." });

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "pro",
                columns: new[] { "includes", "summary" },
                values: new object[] { "Everything in Team\nPrivate incidents", "For organisations that handle sensitive incidents." });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "default_announcement_rule_created_at",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "incidents_team_graph_id",
                table: "organizations");

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "basic",
                column: "includes",
                value: "Unlimited viewers\nDeclare incidents from Teams\nOne announcement rule");

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "enterprise",
                columns: new[] { "includes", "summary" },
                values: new object[] { "Everything in Pro\nDeactivation safety review\nNamed support contact", "For large organisations with their own controls." });

            migrationBuilder.UpdateData(
                table: "plans",
                keyColumn: "code",
                keyValue: "pro",
                columns: new[] { "includes", "summary" },
                values: new object[] { "Everything in Team\nPrivate incidents\nSupport console for your admins", "For organisations with several responding teams." });
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BotReceivedActivities : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "bot_received_activities",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    conversation_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    activity_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bot_received_activities", x => x.id);
                    table.ForeignKey(
                        name: "fk_bot_received_activities_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_bot_received_activities_conversation_id_activity_id",
                table: "bot_received_activities",
                columns: new[] { "conversation_id", "activity_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_bot_received_activities_organization_id",
                table: "bot_received_activities",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_bot_received_activities_received_at",
                table: "bot_received_activities",
                column: "received_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "bot_received_activities");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TeamsAppCatalogEntry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "teams_app_catalog_checked_at",
                table: "organizations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "teams_app_catalog_id",
                table: "organizations",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "teams_app_distribution",
                table: "organizations",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "teams_app_other_catalog_id",
                table: "organizations",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "teams_app_catalog_checked_at",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "teams_app_catalog_id",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "teams_app_distribution",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "teams_app_other_catalog_id",
                table: "organizations");
        }
    }
}

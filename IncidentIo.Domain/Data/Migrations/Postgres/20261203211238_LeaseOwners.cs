using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LeaseOwners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "app_installation_lease_owner",
                table: "users",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "lease_owner",
                table: "announcement_deliveries",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "app_installation_lease_owner",
                table: "users");

            migrationBuilder.DropColumn(
                name: "lease_owner",
                table: "announcement_deliveries");
        }
    }
}

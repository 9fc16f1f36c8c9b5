using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
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
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "lease_owner",
                table: "announcement_deliveries",
                type: "TEXT",
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

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UserAppInstallation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "app_installation_attempts",
                table: "users",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "app_installation_changed_at",
                table: "users",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "app_installation_last_error",
                table: "users",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "app_installation_last_error_code",
                table: "users",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "app_installation_last_request_id",
                table: "users",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "app_installation_last_status",
                table: "users",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "app_installation_lease_until",
                table: "users",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "app_installation_next_attempt_at",
                table: "users",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "app_installation_state",
                table: "users",
                type: "TEXT",
                maxLength: 30,
                nullable: false,
                defaultValue: "NotInstalled");

            migrationBuilder.AddColumn<long>(
                name: "app_installation_verified_at",
                table: "users",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "app_installation_attempts",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    status = table.Column<int>(type: "INTEGER", nullable: true),
                    error_code = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    message = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 30, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_app_installation_attempts", x => x.id);
                    table.ForeignKey(
                        name: "fk_app_installation_attempts_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "graph_paces",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    operation = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    next_slot_at = table.Column<long>(type: "INTEGER", nullable: false),
                    interval_ms = table.Column<double>(type: "REAL", nullable: false),
                    throttled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    throttled_count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_graph_paces", x => new { x.tenant_id, x.operation });
                });

            migrationBuilder.CreateIndex(
                name: "ix_users_app_installation_next_attempt_at",
                table: "users",
                column: "app_installation_next_attempt_at");

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_display_name",
                table: "users",
                columns: new[] { "organization_id", "display_name" });

            migrationBuilder.CreateIndex(
                name: "ix_app_installation_attempts_user_id_at",
                table: "app_installation_attempts",
                columns: new[] { "user_id", "at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "app_installation_attempts");

            migrationBuilder.DropTable(
                name: "graph_paces");

            migrationBuilder.DropIndex(
                name: "ix_users_app_installation_next_attempt_at",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_display_name",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_attempts",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_changed_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_last_error",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_last_error_code",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_last_request_id",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_last_status",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_lease_until",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_next_attempt_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_state",
                table: "users");

            migrationBuilder.DropColumn(
                name: "app_installation_verified_at",
                table: "users");
        }
    }
}

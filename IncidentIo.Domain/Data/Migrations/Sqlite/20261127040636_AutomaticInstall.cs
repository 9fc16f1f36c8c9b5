using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AutomaticInstall : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "setup_permissions_granted_at",
                table: "organizations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "automatic_installs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    requested_by_object_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    requested_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    lease_owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: true),
                    team_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    team_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    team_creation_requested_at = table.Column<long>(type: "INTEGER", nullable: true),
                    operation_location = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    channel_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    tab_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    temporary_permissions_checked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    temporary_permissions_removed = table.Column<bool>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_automatic_installs", x => x.id);
                    table.ForeignKey(
                        name: "fk_automatic_installs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "automatic_install_steps",
                columns: table => new
                {
                    install_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: true),
                    detail = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    error = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_automatic_install_steps", x => new { x.install_id, x.kind });
                    table.ForeignKey(
                        name: "fk_automatic_install_steps_automatic_installs_install_id",
                        column: x => x.install_id,
                        principalTable: "automatic_installs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_automatic_installs_organization_id",
                table: "automatic_installs",
                column: "organization_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "automatic_install_steps");

            migrationBuilder.DropTable(
                name: "automatic_installs");

            migrationBuilder.DropColumn(
                name: "setup_permissions_granted_at",
                table: "organizations");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AutomaticInstall : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "setup_permissions_granted_at",
                table: "organizations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "automatic_installs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    requested_by_object_id = table.Column<Guid>(type: "uuid", nullable: false),
                    requested_by = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lease_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    team_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    team_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    team_creation_requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    operation_location = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    channel_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    tab_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    temporary_permissions_checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    temporary_permissions_removed = table.Column<bool>(type: "boolean", nullable: true)
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
                    install_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    state = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    detail = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    error = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    request_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true)
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

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IncidentsAndAnnouncements : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "announcement_rules",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    bot_team_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    channel_conversation_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    channel_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    on_declared = table.Column<bool>(type: "INTEGER", nullable: false),
                    on_severity_changed = table.Column<bool>(type: "INTEGER", nullable: false),
                    on_status_changed = table.Column<bool>(type: "INTEGER", nullable: false),
                    on_resolved = table.Column<bool>(type: "INTEGER", nullable: false),
                    minimum_severity = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    incident_types = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    include_test = table.Column<bool>(type: "INTEGER", nullable: false),
                    include_private = table.Column<bool>(type: "INTEGER", nullable: false),
                    is_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_announcement_rules", x => x.id);
                    table.ForeignKey(
                        name: "fk_announcement_rules_bot_teams_bot_team_id",
                        column: x => x.bot_team_id,
                        principalTable: "bot_teams",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_announcement_rules_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "incidents",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    number = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    summary = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    severity = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    lead_user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    declared_by_user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    is_private = table.Column<bool>(type: "INTEGER", nullable: false),
                    is_test = table.Column<bool>(type: "INTEGER", nullable: false),
                    declared_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resolved_at = table.Column<long>(type: "INTEGER", nullable: true),
                    version = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_incidents", x => x.id);
                    table.ForeignKey(
                        name: "fk_incidents_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_incidents_users_declared_by_user_id",
                        column: x => x.declared_by_user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_incidents_users_lead_user_id",
                        column: x => x.lead_user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "incident_updates",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    incident_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    actor_user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    from = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    to = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    processed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_incident_updates", x => x.id);
                    table.ForeignKey(
                        name: "fk_incident_updates_incidents_incident_id",
                        column: x => x.incident_id,
                        principalTable: "incidents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "announcement_deliveries",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    incident_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    incident_update_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    target = table.Column<string>(type: "TEXT", maxLength: 220, nullable: false),
                    target_name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    service_url = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    conversation_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    recipient_user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    state = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: true),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: true),
                    waiting_since = table.Column<long>(type: "INTEGER", nullable: true),
                    activity_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_status = table.Column<int>(type: "INTEGER", nullable: true),
                    last_error_code = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    correlation_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_announcement_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "fk_announcement_deliveries_incident_updates_incident_update_id",
                        column: x => x.incident_update_id,
                        principalTable: "incident_updates",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_announcement_deliveries_incidents_incident_id",
                        column: x => x.incident_id,
                        principalTable: "incidents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_announcement_deliveries_incident_id",
                table: "announcement_deliveries",
                column: "incident_id");

            migrationBuilder.CreateIndex(
                name: "ix_announcement_deliveries_incident_update_id_target",
                table: "announcement_deliveries",
                columns: new[] { "incident_update_id", "target" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_announcement_deliveries_state_next_attempt_at",
                table: "announcement_deliveries",
                columns: new[] { "state", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_announcement_rules_bot_team_id",
                table: "announcement_rules",
                column: "bot_team_id");

            migrationBuilder.CreateIndex(
                name: "ix_announcement_rules_organization_id",
                table: "announcement_rules",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_incident_updates_incident_id",
                table: "incident_updates",
                column: "incident_id");

            migrationBuilder.CreateIndex(
                name: "ix_incident_updates_processed_at",
                table: "incident_updates",
                column: "processed_at");

            migrationBuilder.CreateIndex(
                name: "ix_incidents_declared_by_user_id",
                table: "incidents",
                column: "declared_by_user_id");

            migrationBuilder.CreateIndex(
                name: "ix_incidents_lead_user_id",
                table: "incidents",
                column: "lead_user_id");

            migrationBuilder.CreateIndex(
                name: "ix_incidents_organization_id_number",
                table: "incidents",
                columns: new[] { "organization_id", "number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_incidents_organization_id_status",
                table: "incidents",
                columns: new[] { "organization_id", "status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "announcement_deliveries");

            migrationBuilder.DropTable(
                name: "announcement_rules");

            migrationBuilder.DropTable(
                name: "incident_updates");

            migrationBuilder.DropTable(
                name: "incidents");
        }
    }
}

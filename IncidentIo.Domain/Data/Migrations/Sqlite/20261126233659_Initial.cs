using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    details = table.Column<string>(type: "TEXT", nullable: true),
                    trace_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    friendly_name = table.Column<string>(type: "TEXT", nullable: true),
                    xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "job_heartbeats",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    requested_by = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    requested_at = table.Column<long>(type: "INTEGER", nullable: false),
                    job_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    executed_by = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    executed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_heartbeats", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "plans",
                columns: table => new
                {
                    code = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    summary = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    includes = table.Column<string>(type: "TEXT", nullable: false),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_plans", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "organizations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    microsoft_tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    plan_code = table.Column<string>(type: "TEXT", nullable: true),
                    plan_chosen_at = table.Column<long>(type: "INTEGER", nullable: true),
                    setup_stage = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organizations", x => x.id);
                    table.ForeignKey(
                        name: "fk_organizations_plans_plan_code",
                        column: x => x.plan_code,
                        principalTable: "plans",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    microsoft_object_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    user_principal_name = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    role = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    is_active = table.Column<bool>(type: "INTEGER", nullable: false),
                    role_before_deactivation = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    deactivated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deactivation_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                    table.ForeignKey(
                        name: "fk_users_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "plans",
                columns: new[] { "code", "includes", "name", "sort_order", "summary" },
                values: new object[,]
                {
                    { "basic", "Unlimited viewers\nDeclare incidents from Teams\nOne announcement rule", "Basic", 1, "Declare and announce incidents in Microsoft Teams." },
                    { "enterprise", "Everything in Pro\nDeactivation safety review\nNamed support contact", "Enterprise", 4, "For large organisations with their own controls." },
                    { "pro", "Everything in Team\nPrivate incidents\nSupport console for your admins", "Pro", 3, "For organisations with several responding teams." },
                    { "team", "Everything in Basic\nUnlimited announcement rules\nDirect messages to incident leads", "Team", 2, "For teams that respond together." }
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_organization_id_occurred_at",
                table: "audit_log",
                columns: new[] { "organization_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_job_heartbeats_requested_at",
                table: "job_heartbeats",
                column: "requested_at");

            migrationBuilder.CreateIndex(
                name: "ix_organizations_microsoft_tenant_id",
                table: "organizations",
                column: "microsoft_tenant_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_organizations_plan_code",
                table: "organizations",
                column: "plan_code");

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_microsoft_object_id",
                table: "users",
                columns: new[] { "organization_id", "microsoft_object_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_log");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "job_heartbeats");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "organizations");

            migrationBuilder.DropTable(
                name: "plans");
        }
    }
}

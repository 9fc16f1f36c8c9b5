using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TeamRosterReads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "team_roster_reads",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    team_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    team_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    requested_at = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    next_link = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    pages_read = table.Column<int>(type: "INTEGER", nullable: false),
                    members_seen = table.Column<int>(type: "INTEGER", nullable: false),
                    people_added = table.Column<int>(type: "INTEGER", nullable: false),
                    graph_requests = table.Column<int>(type: "INTEGER", nullable: false),
                    lease_owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_team_roster_reads", x => x.id);
                    table.ForeignKey(
                        name: "fk_team_roster_reads_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_team_roster_reads_organization_id_team_id",
                table: "team_roster_reads",
                columns: new[] { "organization_id", "team_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_team_roster_reads_state_lease_until",
                table: "team_roster_reads",
                columns: new[] { "state", "lease_until" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "team_roster_reads");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SweepRunLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_until",
                table: "sweep_runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "run_by",
                table: "sweep_runs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            // Runs left "running" before leases existed cannot be renewed by anyone: end them so the one-running-run index can be built.
            migrationBuilder.Sql("UPDATE sweep_runs SET outcome = 'Abandoned', reason = 'The run stopped before it finished (its process stopped): nothing changed.' WHERE outcome = 'Running';");

            migrationBuilder.CreateIndex(
                name: "ix_sweep_runs_one_running",
                table: "sweep_runs",
                column: "organization_id",
                unique: true,
                filter: "outcome = 'Running'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_sweep_runs_one_running",
                table: "sweep_runs");

            migrationBuilder.DropColumn(
                name: "lease_until",
                table: "sweep_runs");

            migrationBuilder.DropColumn(
                name: "run_by",
                table: "sweep_runs");
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class KeysetPagingIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_display_name",
                table: "users");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_users_display_name_trgm",
                table: "users",
                column: "display_name")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_display_name_id",
                table: "users",
                columns: new[] { "organization_id", "display_name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_role_display_name_id",
                table: "users",
                columns: new[] { "organization_id", "role", "display_name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_user_principal_name_id",
                table: "users",
                columns: new[] { "organization_id", "user_principal_name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_user_principal_name_trgm",
                table: "users",
                column: "user_principal_name")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            // Indexes that mix owner and owned (installation) columns cannot be declared in the
            // model; the same SQL serves both databases.
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_display_name_id ON users (organization_id, app_installation_state, display_name, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_user_principal_name_id ON users (organization_id, app_installation_state, user_principal_name, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_changed_at_id ON users (organization_id, app_installation_state, app_installation_changed_at, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_changed_at_id ON users (organization_id, app_installation_changed_at, id)");
            // Everything the console's counts read, so that they are one index-only scan in
            // (state, active) order rather than a pass over the table's rows.
            migrationBuilder.Sql("CREATE INDEX ix_users_installation_counts ON users (organization_id, app_installation_state, is_active) INCLUDE (app_installation_changed_at, app_installation_verified_at, app_installation_next_attempt_at, app_installation_attempts, bot_team_name)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX ix_users_organization_id_state_display_name_id");
            migrationBuilder.Sql("DROP INDEX ix_users_organization_id_state_user_principal_name_id");
            migrationBuilder.Sql("DROP INDEX ix_users_organization_id_state_changed_at_id");
            migrationBuilder.Sql("DROP INDEX ix_users_organization_id_changed_at_id");
            migrationBuilder.Sql("DROP INDEX ix_users_installation_counts");
            migrationBuilder.DropIndex(
                name: "ix_users_display_name_trgm",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_display_name_id",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_role_display_name_id",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_user_principal_name_id",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_user_principal_name_trgm",
                table: "users");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_display_name",
                table: "users",
                columns: new[] { "organization_id", "display_name" });
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IncidentIo.Domain.Data.Migrations.Sqlite
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

            // Indexes that mix owner and owned (installation) columns cannot be declared in the
            // model; the same SQL serves both databases.
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_display_name_id ON users (organization_id, app_installation_state, display_name, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_user_principal_name_id ON users (organization_id, app_installation_state, user_principal_name, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_state_changed_at_id ON users (organization_id, app_installation_state, app_installation_changed_at, id)");
            migrationBuilder.Sql("CREATE INDEX ix_users_organization_id_changed_at_id ON users (organization_id, app_installation_changed_at, id)");
            // Everything the console's counts read (SQLite has no INCLUDE: all of it in the key), so
            // that they read this index alone rather than the table's rows.
            migrationBuilder.Sql("CREATE INDEX ix_users_installation_counts ON users (organization_id, app_installation_state, is_active, app_installation_changed_at, app_installation_verified_at, app_installation_next_attempt_at, app_installation_attempts, bot_team_name)");
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
                name: "ix_users_organization_id_display_name_id",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_role_display_name_id",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_organization_id_user_principal_name_id",
                table: "users");

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id_display_name",
                table: "users",
                columns: new[] { "organization_id", "display_name" });
        }
    }
}

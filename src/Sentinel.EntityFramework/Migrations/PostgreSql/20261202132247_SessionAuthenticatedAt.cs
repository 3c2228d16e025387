using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class SessionAuthenticatedAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "AuthenticatedAt",
                table: "sentinel_sessions",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Sessions from before: their sign-in is when they were created.
            migrationBuilder.Sql("UPDATE sentinel_sessions SET \"AuthenticatedAt\" = \"CreatedAt\";");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AuthenticatedAt",
                table: "sentinel_sessions");
        }
    }
}

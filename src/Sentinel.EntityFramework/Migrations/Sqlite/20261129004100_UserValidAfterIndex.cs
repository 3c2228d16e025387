using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UserValidAfterIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_sentinel_users_SecurityValidAfter",
                table: "sentinel_users",
                column: "SecurityValidAfter");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sentinel_users_SecurityValidAfter",
                table: "sentinel_users");
        }
    }
}

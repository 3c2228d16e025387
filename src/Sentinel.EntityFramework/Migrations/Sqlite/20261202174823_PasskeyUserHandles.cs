using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PasskeyUserHandles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "PasskeyUserHandle",
                table: "sentinel_users",
                type: "BLOB",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_sentinel_users_PasskeyUserHandle",
                table: "sentinel_users",
                column: "PasskeyUserHandle",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sentinel_users_PasskeyUserHandle",
                table: "sentinel_users");

            migrationBuilder.DropColumn(
                name: "PasskeyUserHandle",
                table: "sentinel_users");
        }
    }
}

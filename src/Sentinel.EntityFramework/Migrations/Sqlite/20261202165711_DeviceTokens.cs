using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeviceTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DeviceTokenHash",
                table: "sentinel_mfa_challenges",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DeviceTokenHash",
                table: "sentinel_mfa_challenges");
        }
    }
}

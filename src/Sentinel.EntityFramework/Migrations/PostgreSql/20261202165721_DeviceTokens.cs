using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.PostgreSql
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
                type: "character varying(64)",
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

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Email : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "EmailConfirmed",
                table: "sentinel_users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "sentinel_one_time_tokens",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    Purpose = table.Column<int>(type: "integer", nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    UsedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sentinel_one_time_tokens", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sentinel_one_time_tokens_ExpiresAt",
                table: "sentinel_one_time_tokens",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_sentinel_one_time_tokens_Hash",
                table: "sentinel_one_time_tokens",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sentinel_one_time_tokens_UserId_Purpose",
                table: "sentinel_one_time_tokens",
                columns: new[] { "UserId", "Purpose" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sentinel_one_time_tokens");

            migrationBuilder.DropColumn(
                name: "EmailConfirmed",
                table: "sentinel_users");
        }
    }
}

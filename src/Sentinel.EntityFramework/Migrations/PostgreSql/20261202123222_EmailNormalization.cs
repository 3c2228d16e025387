using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentinel.EntityFramework.Migrations.PostgreSql
{
    /// <summary>
    /// No schema change: it marks where <c>MigrateSentinelDatabaseAsync</c> re-normalises every stored email (NFKC,
    /// case folding, IDNA; SECURITY P6) before it is recorded as applied.
    /// </summary>
    public partial class EmailNormalization : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}

package batchimage.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

    @Test
    void readsThePostgresqlUrlsTheOldScriptsUsed() {
        var url = Database.JdbcUrl.parse("postgresql://lib:s%40cret@db.example:6543/images?sslmode=require");
        assertThat(url.url()).isEqualTo("jdbc:postgresql://db.example:6543/images?sslmode=require");
        assertThat(url.user()).isEqualTo("lib");
        assertThat(url.password()).isEqualTo("s@cret");
        assertThat(url.redacted()).doesNotContain("s@cret").doesNotContain("cret");
        assertThat(Database.JdbcUrl.parse("postgres://u@h/d").url()).isEqualTo("jdbc:postgresql://h:5432/d");
    }

    @Test
    void passesJdbcUrlsThroughAndHidesTheirPasswords() {
        var url = Database.JdbcUrl.parse("jdbc:postgresql://h:5432/d?user=u&password=secret");
        assertThat(url.url()).isEqualTo("jdbc:postgresql://h:5432/d?user=u&password=secret");
        assertThat(url.redacted()).doesNotContain("secret");
    }

    @Test
    void refusesAnythingElseWithoutEchoingIt() {
        assertThatThrownBy(() -> Database.JdbcUrl.parse("mysql://root:topsecretpassword@h/d"))
                .hasMessageContaining("postgresql://")
                .hasMessageNotContaining("topsecretpassword");
    }
}

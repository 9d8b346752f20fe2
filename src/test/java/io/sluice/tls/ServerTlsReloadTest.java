package io.sluice.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.TlsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificate files replaced one after the other: the reload takes the pair, never a key with the old certificate. */
class ServerTlsReloadTest {
    @TempDir
    Path dir;

    @Test
    void aPairReplacedInTwoStepsIsTakenWhole() throws Exception {
        TestPki pki = new TestPki(dir, "reload-ca");
        TestPki.Issued v1 = pki.issue("v1", "old.live.test");
        TestPki.Issued v2 = pki.issue("v2", "new.live.test");
        Path crt = dir.resolve("live.crt");
        Path key = dir.resolve("live.key");
        replace(v1.cert(), crt, 1);
        replace(v1.key(), key, 1);
        ServerTls tls = new ServerTls("secure", new TlsConfig(List.of(new TlsConfig.Certificate(crt, key))));
        assertThat(subject(tls)).isEqualTo("old.live.test");

        replace(v2.key(), key, 2); // the key first: a poll now must not pair it with the old certificate
        tls.poll();
        assertThat(subject(tls)).isEqualTo("old.live.test");

        replace(v2.cert(), crt, 3);
        tls.poll(); // changed since the last poll: still being written, perhaps
        assertThat(subject(tls)).isEqualTo("old.live.test");
        tls.poll(); // the same twice: taken
        assertThat(subject(tls)).isEqualTo("new.live.test");
        tls.close();
    }

    /** Copies {@code from} over {@code to} with a modification time of its own (file times can be coarse). */
    private static void replace(Path from, Path to, int second) throws Exception {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(to, FileTime.fromMillis(1_700_000_000_000L + second * 1000L));
    }

    private static String subject(ServerTls tls) {
        return tls.served().get(0).subject();
    }
}

package io.sluice.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.TlsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
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

    @Test
    void aKeyWithoutItsCertificateIsNotTakenHoweverLongItWaits() throws Exception {
        TestPki pki = new TestPki(dir, "wait-ca");
        TestPki.Issued v1 = pki.issue("w1", "old.live.test");
        TestPki.Issued v2 = pki.issue("w2", "new.live.test");
        Path crt = dir.resolve("slow.crt");
        Path key = dir.resolve("slow.key");
        replace(v1.cert(), crt, 1);
        replace(v1.key(), key, 1);
        ServerTls tls = new ServerTls("secure", new TlsConfig(List.of(new TlsConfig.Certificate(crt, key))));

        assertThat(handshake(tls)).isEqualTo("CN=old.live.test");

        replace(v2.key(), key, 2); // a writer that takes more than one interval before the certificate
        for (int i = 0; i < 3; i++) {
            tls.poll();
            assertThat(handshake(tls)).as("poll " + i).isEqualTo("CN=old.live.test");
        }

        replace(v2.cert(), crt, 3);
        tls.poll();
        tls.poll();
        assertThat(handshake(tls)).isEqualTo("CN=new.live.test");
        tls.close();
    }

    /** Copies {@code from} over {@code to} with a modification time of its own (file times can be coarse). */
    private static void replace(Path from, Path to, int second) throws Exception {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(to, FileTime.fromMillis(1_700_000_000_000L + second * 1000L));
    }

    /** A TLS handshake with the listener's handler, in memory: the subject the client was served, or the failure. */
    private static String handshake(ServerTls tls) throws Exception {
        SslHandler client = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build()
                .newHandler(ByteBufAllocator.DEFAULT, "live.test", 443);
        EmbeddedChannel clientSide = new EmbeddedChannel(client);
        EmbeddedChannel serverSide = new EmbeddedChannel(tls.newHandler());
        try {
            for (int i = 0; i < 20 && !client.handshakeFuture().isDone(); i++) {
                pass(clientSide, serverSide);
                pass(serverSide, clientSide);
            }
            if (!client.handshakeFuture().isSuccess()) {
                return "handshake failed: " + client.handshakeFuture().cause();
            }
            return ((X509Certificate) client.engine().getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal().getName();
        } finally {
            clientSide.finishAndReleaseAll();
            serverSide.finishAndReleaseAll();
        }
    }

    /** Moves what {@code from} wrote into {@code to}; a side that fails the handshake says so in its alert. */
    private static void pass(EmbeddedChannel from, EmbeddedChannel to) {
        for (Object bytes = from.readOutbound(); bytes != null; bytes = from.readOutbound()) {
            if (!to.isOpen()) { // closed after a failed handshake
                ReferenceCountUtil.release(bytes);
                continue;
            }
            try {
                to.writeInbound(bytes);
            } catch (Exception e) {
                // the handshake failed on this side: its future carries the cause
            }
        }
    }

    private static String subject(ServerTls tls) {
        return tls.served().get(0).subject();
    }
}

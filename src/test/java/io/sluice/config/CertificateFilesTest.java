package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key files a certificate is served with: each kind of key read, and a key of another certificate refused. */
class CertificateFilesTest {
    @TempDir
    Path dir;

    @Test
    void eachKindOfKeyIsReadAndPairedWithItsCertificate() throws Exception {
        for (String kind : new String[] {"RSA", "EC", "Ed25519"}) {
            KeyPair keys = keys(kind);
            Path cert = write(kind + ".crt", certificate(keys));
            Path pkcs8 = write(kind + ".pkcs8.key", new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded()));
            assertThat(CertificateFiles.check(cert, pkcs8)).as(kind + ", PKCS#8").isNull();
            loads(cert, pkcs8);
            if (!kind.equals("Ed25519")) { // RSA and EC keys also come as "RSA PRIVATE KEY" and "EC PRIVATE KEY"
                // as openssl writes them: BouncyCastle's own EC key keeps the curve in the SEC1 structure
                KeyPair bc = keys;
                if (kind.equals("EC")) {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    bc = g.generateKeyPair();
                }
                cert = write(kind + ".crt", certificate(bc));
                Path traditional = write(kind + ".key", bc.getPrivate());
                assertThat(Files.readString(traditional)).contains("BEGIN " + kind + " PRIVATE KEY");
                assertThat(CertificateFiles.check(cert, traditional)).as(kind + ", traditional").isNull();
                loads(cert, traditional);
            }
        }
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedWhateverTheKinds() throws Exception {
        for (String certKind : new String[] {"RSA", "EC", "Ed25519"}) {
            Path cert = write(certKind + ".crt", certificate(keys(certKind)));
            for (String keyKind : new String[] {"RSA", "EC", "Ed25519"}) {
                Path key = write(keyKind + ".other.key",
                        new PemObject("PRIVATE KEY", keys(keyKind).getPrivate().getEncoded()));
                CertificateFiles.Problem p = CertificateFiles.check(cert, key);
                assertThat(p).as(keyKind + " key for " + certKind + " certificate").isNotNull();
                assertThat(p.inKey()).isTrue();
                assertThat(p.message()).startsWith("is not the key of certificate " + certKind + ".crt (CN=sluice.test)");
            }
        }
    }

    @Test
    void anEncryptedKeyIsRefusedWithTheCommandThatDecryptsIt() throws Exception {
        KeyPair keys = keys("EC");
        Path cert = write("site.crt", certificate(keys));
        Path key = write("site.key", new JcaPKCS8Generator(keys.getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(new BouncyCastleProvider())
                        .setPassword("pw".toCharArray()).build())
                .generate());
        CertificateFiles.Problem p = CertificateFiles.check(cert, key);
        assertThat(p.inKey()).isTrue();
        assertThat(p.message()).isEqualTo("is encrypted; Sluice reads unencrypted keys (openssl pkey -in KEY -out"
                + " PLAIN-KEY writes one)");
    }

    /** What the check accepts, the TLS context loads, with either provider. */
    private static void loads(Path cert, Path key) throws Exception {
        for (SslProvider provider : new SslProvider[] {SslProvider.JDK, SslProvider.OPENSSL}) {
            ReferenceCountUtil.release(SslContextBuilder.forServer(cert.toFile(), key.toFile()).sslProvider(provider)
                    .build());
        }
    }

    private static KeyPair keys(String kind) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(kind);
        if (kind.equals("RSA")) {
            g.initialize(2048);
        }
        return g.generateKeyPair();
    }

    /** A certificate for {@code keys}' public key, signed by a throw-away EC issuer. */
    private static X509Certificate certificate(KeyPair keys) throws Exception {
        KeyPair issuer = keys("EC");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=issuer"), BigInteger.ONE,
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=sluice.test"),
                keys.getPublic());
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    private Path write(String name, Object pemObject) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(pemObject);
        }
        return Files.writeString(dir.resolve(name), out.toString());
    }
}

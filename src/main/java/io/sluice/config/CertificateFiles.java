package io.sluice.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads a listener's certificate and key files the way the TLS context will, and checks that the key is the
 * certificate's. The OpenSSL provider accepts a key that belongs to another certificate and then fails every
 * handshake with "internal_error"; nginx and HAProxy refuse such a pair when they load it, and so do
 * {@code check}, {@code run}, a reload and the certificate watcher. Called off the event loops.
 */
public final class CertificateFiles {
    private CertificateFiles() {
    }

    /** What is wrong with a pair: in the certificate file ({@code inKey} false) or in the key file. */
    public record Problem(boolean inKey, String message) {
    }

    /** Null when {@code key} is the private key of the first certificate in {@code cert}; else what is wrong. */
    public static Problem check(Path cert, Path key) {
        X509Certificate x509;
        try (InputStream in = Files.newInputStream(cert)) {
            x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException | RuntimeException e) {
            return new Problem(false, "holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----'): "
                    + reason(e));
        }
        PrivateKey privateKey;
        try {
            privateKey = privateKey(key);
        } catch (EncryptedKey e) {
            return new Problem(true, "is encrypted; Sluice reads unencrypted keys (openssl pkey -in KEY -out PLAIN-KEY"
                    + " writes one)");
        } catch (IOException | RuntimeException e) {
            return new Problem(true, "holds no private key that can be read: " + reason(e));
        }
        if (privateKey == null) {
            return new Problem(true, "holds no private key (expected PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or"
                    + " 'EC PRIVATE KEY')");
        }
        if (!belongsTo(privateKey, x509.getPublicKey())) {
            return new Problem(true, "is not the key of certificate " + cert.getFileName() + " ("
                    + x509.getSubjectX500Principal().getName() + "): use the key the certificate was issued for,"
                    + " and replace the two files together");
        }
        return null;
    }

    /** Null when {@code file} holds at least one PEM certificate (a CA bundle, a chain); else what is wrong. */
    public static String certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            if (!CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                return null;
            }
            return "holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----')";
        } catch (IOException | CertificateException | RuntimeException e) {
            return "holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----'): " + reason(e);
        }
    }

    /** The private key of a key file {@link #check} accepted (for contexts built from objects: QUIC's). */
    public static PrivateKey key(Path file) throws IOException {
        PrivateKey key = privateKey(file);
        if (key == null) {
            throw new IOException(file + " holds no private key");
        }
        return key;
    }

    /** The certificates of a PEM file, in order (the chain a certificate file {@link #check} accepted holds). */
    public static java.util.List<X509Certificate> chain(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            java.util.List<X509Certificate> out = new java.util.ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new IOException(file + ": " + reason(e), e);
        }
    }

    /** A key file holding an encrypted key: Sluice has no key passwords. */
    private static final class EncryptedKey extends IOException {
        EncryptedKey() {
            super("encrypted key", null);
        }
    }

    /** The first private key in a PEM file; null when there is none. */
    private static PrivateKey privateKey(Path file) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(in)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) { // skips e.g. "EC PARAMETERS"
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) { // "RSA PRIVATE KEY", "EC PRIVATE KEY" (whose public key is optional)
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new EncryptedKey();
                }
            }
        }
        return null;
    }

    /**
     * Whether {@code key} pairs with {@code certificateKey}: RSA by comparing the modulus, EC and EdDSA by
     * signing a message and verifying it. A kind of key this does not know is given the benefit of the doubt.
     */
    static boolean belongsTo(PrivateKey key, PublicKey certificateKey) {
        if (key instanceof RSAPrivateCrtKey rsa) {
            return certificateKey instanceof RSAPublicKey pub && rsa.getModulus().equals(pub.getModulus())
                    && rsa.getPublicExponent().equals(pub.getPublicExponent());
        }
        String algorithm;
        if (key instanceof ECPrivateKey) {
            if (!(certificateKey instanceof ECPublicKey)) {
                return false;
            }
            algorithm = "SHA256withECDSA";
        } else if (key.getAlgorithm().startsWith("Ed")) { // "EdDSA", "Ed25519", "Ed448"
            algorithm = "EdDSA";
        } else {
            return true;
        }
        try {
            byte[] message = BigInteger.valueOf(System.nanoTime()).toByteArray();
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(message);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certificateKey);
            verify.update(message);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // the certificate's key cannot check this key's signature: not its pair
        }
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
    }
}

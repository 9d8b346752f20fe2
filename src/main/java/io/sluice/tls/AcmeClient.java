package io.sluice.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.sluice.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.shredzone.acme4j.util.KeyPairUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Obtains and renews the certificate of one https listener's {@code tls.acme} block with acme4j, on its
 * own single thread (never an event loop). Until a certificate is obtained (or when the stored one does not
 * cover the domains) a self-signed placeholder for the domains is served, so the listener can start.
 *
 * <p>Storage ({@code tls.acme.storage}): {@code account.key} (the ACME account's key pair, PEM) and, per
 * certificate, a folder named after the first domain with {@code domain.key} (the certificate's key pair,
 * kept across renewals) and {@code chain.pem} (the certificate and its issuers, as the server sent them).
 */
public final class AcmeClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AcmeClient.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    private static final Duration LAST_RETRY = Duration.ofHours(1);
    private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(90);

    static {
        // acme4j creates and reads keys through BouncyCastle's provider; added last, it changes no default
        if (java.security.Security.getProvider("BC") == null) {
            java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        }
    }

    /** A key and the chain to serve with it; {@code placeholder} until the ACME server issued one. */
    public record Issued(PrivateKey key, List<X509Certificate> chain, boolean placeholder) {
        public X509Certificate leaf() {
            return chain.get(0);
        }

        Instant notAfter() {
            return leaf().getNotAfter().toInstant();
        }
    }

    private final String listener;
    private final TlsConfig.Acme cfg;
    private final Runnable onChange;
    private final Path folder;
    private final KeyPair domainKey;
    private volatile Issued current;
    private ScheduledExecutorService thread;
    private int failures;

    /**
     * Reads (or creates) the keys and the stored chain; {@code onChange} runs on the ACME thread after a new
     * certificate was obtained. Throws IllegalStateException when the storage folder cannot be used.
     */
    public AcmeClient(String listener, TlsConfig.Acme cfg, Runnable onChange) {
        this.listener = listener;
        this.cfg = cfg;
        this.onChange = onChange;
        this.folder = cfg.storage().resolve(cfg.domains().get(0));
        try {
            createPrivateFolders(folder);
            domainKey = keyPair(folder.resolve("domain.key"));
            Issued stored = readStored();
            current = stored != null ? stored : placeholder();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("listener '" + listener + "': tls.acme storage " + cfg.storage()
                    + " cannot be used: " + e, e);
        }
        if (!current.placeholder()) {
            log.info("listener '{}': using the stored ACME certificate for {} (valid until {})", listener,
                    cfg.domains(), current.notAfter());
        }
    }

    /** The certificate to serve now: the obtained one, else the placeholder. */
    public Issued current() {
        return current;
    }

    public TlsConfig.Acme config() {
        return cfg;
    }

    /** Starts checking (now, then every {@code check_interval}) and obtaining on the ACME thread. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-acme-" + listener);
            t.setDaemon(true);
            return t;
        });
        thread.execute(this::check);
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    private boolean due() {
        Issued c = current;
        return c.placeholder() || Duration.between(Instant.now(), c.notAfter()).compareTo(cfg.renewBefore()) < 0;
    }

    private void check() {
        Duration next;
        try {
            if (due()) {
                obtain();
            }
            failures = 0;
            Duration untilRenewal = Duration.between(Instant.now(), current.notAfter().minus(cfg.renewBefore()));
            if (untilRenewal.isNegative() || untilRenewal.isZero()) {
                log.warn("listener '{}': renew_before ({}) is longer than what remains of the new certificate; "
                        + "renewing every check_interval ({})", listener, cfg.renewBefore(), cfg.checkInterval());
                next = cfg.checkInterval();
            } else {
                next = untilRenewal.compareTo(cfg.checkInterval()) < 0 ? untilRenewal : cfg.checkInterval();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            failures++;
            long seconds = Math.min(LAST_RETRY.toSeconds(), FIRST_RETRY.toSeconds() << Math.min(failures - 1, 20));
            next = Duration.ofSeconds(seconds);
            log.warn("listener '{}': obtaining a certificate for {} from {} failed (attempt {}), retrying in {}s: {}",
                    listener, cfg.domains(), cfg.directory(), failures, seconds, e.toString());
        }
        ScheduledExecutorService t = thread;
        if (t != null && !t.isShutdown()) {
            try {
                t.schedule(this::check, next.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closed meanwhile
            }
        }
    }

    /** One order from start to the certificate in storage and in service. */
    private void obtain() throws AcmeException, IOException, InterruptedException {
        log.info("listener '{}': ordering a certificate for {} from {} ({})", listener, cfg.domains(),
                cfg.directory(), cfg.challenge().text);
        Session session = session();
        AccountBuilder account = new AccountBuilder().agreeToTermsOfService()
                .useKeyPair(keyPair(cfg.storage().resolve("account.key")));
        if (cfg.email() != null) {
            account.addEmail(cfg.email());
        }
        Login login = account.createLogin(session);
        Order order = login.newOrder().domains(cfg.domains()).create();
        for (Authorization auth : order.getAuthorizations()) {
            if (auth.getStatus() != Status.VALID) {
                authorize(auth);
            }
        }
        Status ready = order.waitUntilReady(VALIDATION_TIMEOUT);
        if (ready != Status.READY) {
            throw new AcmeException("order is " + ready + problem(order.getError()));
        }
        order.execute(domainKey);
        Status done = order.waitForCompletion(VALIDATION_TIMEOUT);
        if (done != Status.VALID) {
            throw new AcmeException("order is " + done + problem(order.getError()));
        }
        List<X509Certificate> chain = order.getCertificate().getCertificateChain();
        store(chain);
        current = new Issued(domainKey.getPrivate(), List.copyOf(chain), false);
        log.info("listener '{}': obtained a certificate for {} (serial {}, valid until {})", listener,
                cfg.domains(), chain.get(0).getSerialNumber().toString(16), current.notAfter());
        onChange.run();
    }

    private void authorize(Authorization auth) throws AcmeException, IOException, InterruptedException {
        String domain = auth.getIdentifier().getDomain();
        if (cfg.challenge() == TlsConfig.Challenge.HTTP_01) {
            Http01Challenge ch = auth.findChallenge(Http01Challenge.class)
                    .orElseThrow(() -> new AcmeException("the server offers no http-01 challenge for " + domain));
            AcmeChallenges.putHttp01(ch.getToken(), ch.getAuthorization());
            try {
                validate(ch, auth, domain);
            } finally {
                AcmeChallenges.removeHttp01(ch.getToken());
            }
        } else {
            TlsAlpn01Challenge ch = auth.findChallenge(TlsAlpn01Challenge.class)
                    .orElseThrow(() -> new AcmeException("the server offers no tls-alpn-01 challenge for " + domain));
            // RFC 8737 §3: self-signed, the domain as its only name, the key authorization's digest in a
            // critical acmeIdentifier extension
            X509Certificate cert = selfSigned(List.of(domain), Duration.ofDays(1), ch.getAcmeValidation());
            SslContext context = SslContextBuilder.forServer(domainKey.getPrivate(), cert)
                    .sslProvider(SslProvider.JDK)
                    .protocols(ServerTls.DEFAULT_PROTOCOLS)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.FATAL_ALERT,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.FATAL_ALERT,
                            AcmeChallenges.ACME_TLS_1))
                    .build();
            AcmeChallenges.putTlsAlpn01(domain, context);
            try {
                validate(ch, auth, domain);
            } finally {
                AcmeChallenges.removeTlsAlpn01(domain);
            }
        }
    }

    private void validate(org.shredzone.acme4j.challenge.Challenge ch, Authorization auth, String domain)
            throws AcmeException, InterruptedException {
        ch.trigger();
        Status s = ch.waitForCompletion(VALIDATION_TIMEOUT);
        if (s != Status.VALID) {
            throw new AcmeException(ch.getType() + " validation of " + domain + " is " + s + problem(ch.getError()));
        }
        log.info("listener '{}': {} validated by {}", listener, domain, ch.getType());
    }

    private static String problem(java.util.Optional<org.shredzone.acme4j.Problem> p) {
        return p.map(x -> ": " + x).orElse("");
    }

    private Session session() throws IOException {
        URI uri = URI.create(cfg.directory());
        if (cfg.trustCa() == null) {
            return new Session(uri);
        }
        SSLContext ssl = trusting(cfg.trustCa());
        return new Session(uri, new GenericAcmeProvider() {
            @Override
            public HttpClient createHttpClient(NetworkSettings settings) {
                return HttpClient.newBuilder()
                        .connectTimeout(settings.getTimeout())
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .sslContext(ssl)
                        .build();
            }
        });
    }

    /** An SSLContext that trusts the certificates in {@code pem} (and nothing else). */
    static SSLContext trusting(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot use trust_ca " + pem + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- storage

    /** The key pair in {@code file}, created (EC P-256) and written there when missing. */
    private static final Set<PosixFilePermission> PRIVATE_FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private static KeyPair keyPair(Path file) throws IOException {
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
                return KeyPairUtils.readKeyPair(r);
            }
        }
        KeyPair kp = KeyPairUtils.createECKeyPair("secp256r1");
        StringWriter pem = new StringWriter();
        KeyPairUtils.writeKeyPair(kp, pem);
        write(file, pem.toString(), true);
        return kp;
    }

    private Issued readStored() throws IOException {
        Path file = folder.resolve("chain.pem");
        if (!Files.exists(file)) {
            return null;
        }
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
        } catch (CertificateException e) {
            log.warn("listener '{}': stored certificate {} does not load, ordering a new one: {}", listener, file,
                    e.getMessage());
            return null;
        }
        boolean covers;
        try {
            covers = !chain.isEmpty() && ServerTls.names(chain.get(0)).containsAll(cfg.domains());
        } catch (CertificateException e) {
            covers = false;
        }
        if (!covers || !chain.get(0).getPublicKey().equals(domainKey.getPublic())
                || chain.get(0).getNotAfter().toInstant().isBefore(Instant.now())) {
            log.info("listener '{}': stored certificate {} is expired, for other names or another key; "
                    + "ordering a new one", listener, file);
            return null;
        }
        return new Issued(domainKey.getPrivate(), List.copyOf(chain), false);
    }

    private void store(List<X509Certificate> chain) throws IOException {
        StringBuilder pem = new StringBuilder();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        for (X509Certificate c : chain) {
            try {
                pem.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IOException(e);
            }
        }
        write(folder.resolve("chain.pem"), pem.toString(), false);
    }

    /**
     * Creates the storage folder and the certificate's folder owner-only (0700): they hold private keys. The
     * certificate's folder is Sluice's alone and is tightened when it exists; an existing storage folder is
     * the operator's and is left as it is (its keys are 0600 anyway).
     */
    private void createPrivateFolders(Path folder) throws IOException {
        try {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PRIVATE_FOLDER));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(folder); // not a POSIX file system
            return;
        }
        try {
            if (!Files.getPosixFilePermissions(folder).equals(PRIVATE_FOLDER)) {
                Files.setPosixFilePermissions(folder, PRIVATE_FOLDER);
            }
        } catch (IOException e) {
            log.warn("listener '{}': cannot make {} owner-only (0700): {}", listener, folder, e.toString());
        }
    }

    /**
     * Writes through a temporary file and a rename, so a reader never sees half a file. A secret's temporary
     * file is created 0600 (not created and then restricted: between the two it would be readable by others).
     */
    private static void write(Path file, String text, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (secret) {
            Files.deleteIfExists(tmp); // a crash's leftover may have other permissions; CREATE_NEW keeps none
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            SeekableByteChannel channel;
            try {
                channel = Files.newByteChannel(tmp, options, PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
            } catch (UnsupportedOperationException e) {
                channel = Files.newByteChannel(tmp, options); // not a POSIX file system
            }
            try (SeekableByteChannel out = channel) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        } else {
            Files.write(tmp, bytes);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A self-signed certificate for the domains with the domain key, valid for a week: served until the real one. */
    private Issued placeholder() {
        return new Issued(domainKey.getPrivate(), List.of(selfSigned(cfg.domains(), Duration.ofDays(7), null)), true);
    }

    /** A self-signed certificate with the domain key for {@code domains}; with an RFC 8737 acmeIdentifier when given. */
    private X509Certificate selfSigned(List<String> domains, Duration validity, byte[] acmeValidation) {
        try {
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=" + domains.get(0));
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(63, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(validity)), name, domainKey.getPublic());
            GeneralName[] sans = domains.stream().map(d -> new GeneralName(GeneralName.dNSName, d))
                    .toArray(GeneralName[]::new);
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            if (acmeValidation != null) {
                b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.5.5.7.1.31"), true,
                        new org.bouncycastle.asn1.DEROctetString(acmeValidation));
            }
            String alg = domainKey.getPrivate().getAlgorithm().toUpperCase(Locale.ROOT).startsWith("EC")
                    ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(domainKey.getPrivate())));
        } catch (IOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot create a self-signed certificate: " + e.getMessage(), e);
        }
    }
}

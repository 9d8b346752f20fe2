package io.sluice.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.sluice.config.CertificateFiles;
import io.sluice.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of one https listener: one {@link SslContext} per configured certificate, chosen by the
 * name the client sends in SNI (exact names and {@code *.} wildcards, read from each certificate's subject
 * alternative names), the first certificate for clients that send no name or an unknown one.
 *
 * <p>The contexts are rebuilt when a certificate, key or client CA file changes ({@link #poll}, called
 * off the event loops) or when a reload brings new settings ({@link #update}); the new set is published
 * through one volatile field. A handshake uses the set in force when its ClientHello arrived, so open
 * connections are not touched. A file that does not load leaves the previous set in force.
 */
public final class ServerTls {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** TLS 1.2 and 1.3 only; 1.0 and 1.1 are deprecated (RFC 8996). */
    static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final String listener;
    private final AcmeClient acme;
    private volatile TlsConfig config;
    private volatile Contexts current;
    /** The files' times a poll saw differ from the current contexts' (null: none), taken once seen twice. */
    private Map<Path, FileTime> changed;

    /** The contexts of one configuration and the file times they were built from. */
    private record Contexts(Mapping<String, SslContext> byName, SslContext fallback, Map<Path, FileTime> stamps,
                            SslProvider provider, List<Served> served) {
    }

    /** One certificate being served: where it comes from (its file, or "acme"), its subject, when it expires. */
    public record Served(String source, String subject, long notAfterMillis) {
    }

    /** The certificates served now, for the expiry metric. Any thread. */
    public List<Served> served() {
        return current.served();
    }

    /** Builds the contexts; throws IllegalStateException (naming the file) when one cannot be built. */
    public ServerTls(String listener, TlsConfig config) {
        this.listener = listener;
        this.config = config;
        this.acme = config.acme() == null ? null : new AcmeClient(listener, config.acme(), this::acmeIssued);
        this.current = build(config);
    }

    /** The handler that starts every connection: reads the ClientHello and puts in the matching SslHandler. */
    public SniHandler newHandler() {
        Mapping<String, SslContext> lookup = name -> {
            Contexts c = current;
            return name == null ? c.fallback : c.byName.map(name);
        };
        return acme == null ? new SniHandler(lookup) : new AcmeSniHandler(lookup);
    }

    /** Starts obtaining and renewing the {@code tls.acme} certificate, if there is one (off the event loops). */
    public void startAcme() {
        if (acme != null) {
            acme.start();
        }
    }

    /** Stops the ACME thread; the listener is closing. */
    public void close() {
        if (acme != null) {
            acme.close();
        }
    }

    /** The ACME certificate served now (a placeholder until one is obtained); null without {@code tls.acme}. */
    public AcmeClient.Issued acmeCertificate() {
        return acme == null ? null : acme.current();
    }

    /** A certificate was obtained or renewed: new handshakes get it, open connections keep theirs. */
    private synchronized void acmeIssued() {
        try {
            current = build(config);
            log.info("listener '{}': ACME certificate in service", listener);
        } catch (RuntimeException e) {
            log.warn("listener '{}': the new ACME certificate does not load: {}", listener, e.getMessage());
        }
    }

    /**
     * While a TLS-ALPN-01 validation is pending, a ClientHello that offers {@code acme-tls/1} for the domain
     * being validated gets the validation certificate (RFC 8737); everything else goes by SNI as usual.
     */
    private static final class AcmeSniHandler extends SniHandler {
        private boolean acmeTls;

        AcmeSniHandler(Mapping<String, SslContext> mapping) {
            super(mapping);
        }

        @Override
        protected io.netty.util.concurrent.Future<SslContext> lookup(io.netty.channel.ChannelHandlerContext ctx,
                io.netty.buffer.ByteBuf clientHello) throws Exception {
            acmeTls = clientHello != null && AcmeChallenges.tlsAlpnPending()
                    && ClientHellos.offersAlpn(clientHello, AcmeChallenges.ACME_TLS_1);
            return super.lookup(ctx, clientHello);
        }

        @Override
        protected io.netty.util.concurrent.Future<SslContext> lookup(io.netty.channel.ChannelHandlerContext ctx,
                String hostname) throws Exception {
            SslContext challenge = acmeTls ? AcmeChallenges.tlsAlpn01(hostname) : null;
            if (challenge != null) {
                return ctx.executor().newSucceededFuture(challenge);
            }
            return super.lookup(ctx, hostname);
        }
    }

    /** The provider in use ("OPENSSL" or "JDK"), for the start-up log and tests. */
    public SslProvider provider() {
        return current.provider;
    }

    public TlsConfig config() {
        return config;
    }

    /** A reload: rebuilds when the settings differ; throws (keeping the old ones) when they do not load. */
    public synchronized void update(TlsConfig next) {
        if (next.equals(config)) {
            return;
        }
        Contexts built = build(next);
        config = next;
        current = built;
    }

    /**
     * Rebuilds when a file changed since the contexts were built and has stayed as it is since the call
     * before. Called every {@code reload_interval} from the TLS reload thread. Waiting one interval keeps a
     * file still being written from being read; a key that is not its certificate's (a pair replaced in two
     * steps, read between them) is refused by {@link CertificateFiles#check}, since the OpenSSL provider would
     * accept it and fail every handshake (CI saw "internal_error" once). A failure to load is logged and
     * tried again on the next call. Returns whether new contexts were taken.
     */
    public synchronized boolean poll() {
        Contexts c = current;
        Map<Path, FileTime> now = stamps(config);
        if (now.equals(c.stamps)) {
            changed = null;
            return false;
        }
        if (!now.equals(changed)) {
            changed = now; // still being written, perhaps: taken if it is the same on the next call
            return false;
        }
        try {
            current = build(config);
            log.info("listener '{}': certificates reloaded", listener);
            return true;
        } catch (RuntimeException e) {
            log.warn("listener '{}': certificate files changed but do not load, keeping the previous ones: {}",
                    listener, e.getMessage());
            return false;
        }
    }

    private Contexts build(TlsConfig cfg) {
        SslProvider provider = provider(cfg.provider());
        Map<Path, FileTime> stamps = stamps(cfg);
        SslContext first = null;
        DomainWildcardMappingBuilder<SslContext> names = null;
        Set<String> seen = new java.util.HashSet<>();
        List<Served> served = new java.util.ArrayList<>();
        for (TlsConfig.Certificate cert : cfg.certificates()) {
            SslContext ctx = context(cfg, cert, provider);
            served.add(served(cert.cert().toString(), read(cert.cert())));
            if (first == null) {
                first = ctx;
                names = new DomainWildcardMappingBuilder<>(ctx);
            }
            for (String name : names(cert.cert())) {
                if (seen.add(name)) { // the first certificate listed wins a name two of them carry
                    names.add(name, ctx);
                }
            }
        }
        if (acme != null) {
            AcmeClient.Issued issued = acme.current();
            if (!issued.chain().isEmpty()) {
                served.add(served("acme", issued.chain().get(0)));
            }
            SslContext ctx = context(cfg, SslContextBuilder.forServer(issued.key(), issued.chain()
                    .toArray(new java.security.cert.X509Certificate[0])), provider, "the ACME certificate for "
                    + acme.config().domains());
            if (first == null) {
                first = ctx;
                names = new DomainWildcardMappingBuilder<>(ctx);
            }
            for (String name : acme.config().domains()) {
                if (seen.add(name)) {
                    names.add(name, ctx);
                }
            }
        }
        if (first == null) {
            throw new IllegalStateException("listener '" + listener + "': no certificate");
        }
        return new Contexts(names.build(), first, stamps, provider, List.copyOf(served));
    }

    private SslProvider provider(String configured) {
        if ("jdk".equals(configured)) {
            return SslProvider.JDK;
        }
        if (TlsLibrary.openSslAvailable()) {
            return SslProvider.OPENSSL;
        }
        if ("openssl".equals(configured)) {
            throw new IllegalStateException("listener '" + listener + "': tls.provider openssl is not available: "
                    + TlsLibrary.unavailabilityCause());
        }
        return SslProvider.JDK;
    }

    private SslContext context(TlsConfig cfg, TlsConfig.Certificate cert, SslProvider provider) {
        CertificateFiles.Problem problem = CertificateFiles.check(cert.cert(), cert.key());
        if (problem != null) { // also files replaced since the configuration was checked
            throw new IllegalStateException("listener '" + listener + "': " + (problem.inKey() ? "key " + cert.key()
                    : "certificate " + cert.cert()) + " " + problem.message());
        }
        try {
            return context(cfg, SslContextBuilder.forServer(cert.cert().toFile(), cert.key().toFile()), provider,
                    "certificate " + cert.cert() + " with key " + cert.key());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("listener '" + listener + "': cannot use certificate " + cert.cert()
                    + " with key " + cert.key() + ": " + e.getMessage(), e);
        }
    }

    private SslContext context(TlsConfig cfg, SslContextBuilder builder, SslProvider provider, String what) {
        try {
            SslContextBuilder b = builder
                    .sslProvider(provider)
                    .protocols(cfg.protocols().isEmpty() ? DEFAULT_PROTOCOLS : cfg.protocols())
                    .ciphers(cfg.ciphers().isEmpty() ? Http2SecurityUtil.CIPHERS : cfg.ciphers(),
                            SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
            if (cfg.clientCa() != null && cfg.clientAuth() != TlsConfig.ClientAuth.NONE) {
                b.trustManager(cfg.clientCa().toFile())
                        .clientAuth(cfg.clientAuth() == TlsConfig.ClientAuth.REQUIRE ? ClientAuth.REQUIRE
                                : ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("listener '" + listener + "': cannot use " + what + ": "
                    + e.getMessage(), e);
        }
    }

    private static Served served(String source, X509Certificate x509) {
        List<String> subject;
        try {
            subject = names(x509);
        } catch (CertificateParsingException e) {
            subject = List.of();
        }
        return new Served(source, subject.isEmpty() ? "" : subject.get(0), x509.getNotAfter().getTime());
    }

    /** The first certificate of a PEM file (the server's own, before its chain). */
    private static X509Certificate read(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot read certificate " + pem + ": " + e.getMessage(), e);
        }
    }

    /** The DNS names a certificate is for: its subject alternative names, else its subject's CN. */
    static List<String> names(Path pem) {
        X509Certificate x509 = read(pem);
        try {
            return names(x509);
        } catch (CertificateParsingException e) {
            throw new IllegalStateException("cannot read the names of certificate " + pem + ": " + e.getMessage(), e);
        }
    }

    /** The DNS names of a certificate: its subject alternative names, else its subject's CN. */
    public static List<String> names(X509Certificate x509) throws CertificateParsingException {
        Set<String> out = new LinkedHashSet<>();
        if (x509.getSubjectAlternativeNames() != null) {
            for (List<?> san : x509.getSubjectAlternativeNames()) {
                if (((Integer) san.get(0)) == 2) { // dNSName
                    out.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                }
            }
        }
        if (out.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(x509.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        out.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                // no usable name: the certificate can still be the default
            }
        }
        return new ArrayList<>(out);
    }

    private static Map<Path, FileTime> stamps(TlsConfig cfg) {
        Map<Path, FileTime> out = new HashMap<>();
        List<Path> files = new ArrayList<>();
        for (TlsConfig.Certificate c : cfg.certificates()) {
            files.add(c.cert());
            files.add(c.key());
        }
        if (cfg.clientCa() != null) {
            files.add(cfg.clientCa());
        }
        for (Path p : files) {
            try {
                out.put(p, Files.getLastModifiedTime(p));
            } catch (IOException e) {
                out.put(p, FileTime.fromMillis(-1)); // missing for now (being replaced): try again later
            }
        }
        return out;
    }
}

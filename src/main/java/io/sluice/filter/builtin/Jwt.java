package io.sluice.filter.builtin;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import io.sluice.filter.auth.JwksKeys;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code jwt}: a bearer token in {@code Authorization} must be a JWT signed by a key of the configured JWK set
 * (by its {@code kid}), with one of {@code algorithms}, not expired ({@code exp}), already valid ({@code nbf}),
 * from {@code issuer} and for one of {@code audiences} when those are given, {@code clock_skew} allowed either way.
 * No token: 401 with {@code WWW-Authenticate: Bearer}; a bad one: 401 with
 * {@code WWW-Authenticate: Bearer error="invalid_token"}. The claims named in {@code claims_to_headers} go to the
 * upstream as request fields (a client's own fields of those names are removed first, whatever happens).
 *
 * <p>Nimbus JOSE + JWT checks the token and the claims; the keys come from {@link JwksKeys} (a file, or a URL
 * fetched in the background: a request never waits for a fetch). Until a URL's set is first fetched, a token
 * cannot be checked and the request is answered 503.
 */
public final class Jwt implements FilterFactory<Jwt.Settings> {
    static final List<String> DEFAULT_ALGORITHMS = List.of("RS256", "ES256");
    static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
    /** The asymmetric algorithms a JWK set can hold keys for. */
    private static final Set<String> KNOWN = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
            "ES384", "ES512");

    /** {@code jwksUrl} null: the keys of {@code jwksFile}, read at load. */
    public record Settings(URI jwksUrl, JWKSet jwksFile, String issuer, Set<String> audiences,
                           Set<JWSAlgorithm> algorithms, Duration clockSkew, Map<String, String> claimsToHeaders) {
    }

    @Override
    public String type() {
        return "jwt";
    }

    @Override
    public List<String> keys() {
        return List.of("jwks_url", "jwks_file", "issuer", "audiences", "algorithms", "clock_skew", "claims_to_headers");
    }

    @Override
    public Settings configure(FilterSettings s) {
        boolean ok = true;
        if (s.has("jwks_url") == s.has("jwks_file")) {
            s.error(s.has("jwks_url") ? "jwks_file" : "jwks_url",
                    "jwt needs one of 'jwks_url' and 'jwks_file' (where the signing keys are)");
            return null;
        }
        URI url = s.has("jwks_url") ? s.value("jwks_url", null, ForwardAuth::url) : null;
        JWKSet file = null;
        if (s.has("jwks_file")) {
            String name = s.string("jwks_file", "");
            java.nio.file.Path path = s.resolve(name);
            try {
                file = JWKSet.load(path.toFile()).toPublicJWKSet();
                if (file.getKeys().isEmpty()) {
                    s.error("jwks_file", "JWK set '" + name + "' holds no public key");
                    ok = false;
                }
            } catch (java.io.IOException | java.text.ParseException e) {
                s.error("jwks_file", "cannot read JWK set '" + name + "' (resolved to " + path + "): " + e.getMessage());
                ok = false;
            }
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        for (String a : s.has("algorithms") ? s.strings("algorithms") : DEFAULT_ALGORITHMS) {
            if (!KNOWN.contains(a)) {
                s.error("algorithms", "unsupported algorithm '" + a + "' (expected some of " + String.join(", ",
                        new java.util.TreeSet<>(KNOWN)) + ")");
                ok = false;
            }
            algorithms.add(JWSAlgorithm.parse(a));
        }
        String issuer = s.string("issuer", null);
        Set<String> audiences = new HashSet<>(s.strings("audiences"));
        Duration skew = s.duration("clock_skew", DEFAULT_CLOCK_SKEW);
        Map<String, String> claims = s.has("claims_to_headers") ? mapping(s) : Map.of();
        if (claims == null) {
            ok = false;
        }
        return ok && (url != null || file != null) ? new Settings(url, file, issuer, Set.copyOf(audiences),
                Set.copyOf(algorithms), skew, claims) : null;
    }

    /** {@code claims_to_headers: { claim: Header-Name }}; null after reporting an error. */
    private static Map<String, String> mapping(FilterSettings s) {
        Map<String, String> out = new LinkedHashMap<>(s.stringMap("claims_to_headers"));
        for (String header : out.values()) {
            if (!header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                s.error("claims_to_headers", "bad header name '" + header + "'");
                return null;
            }
        }
        return out;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        JwksKeys keys = settings.jwksUrl() != null
                ? setup.keep("jwks " + settings.jwksUrl(), JwksKeys.class, () -> JwksKeys.fetched(settings.jwksUrl()))
                : JwksKeys.of(settings.jwksFile());
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(settings.algorithms(), keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                settings.audiences().isEmpty() ? null : settings.audiences(),
                settings.issuer() == null ? null : new JWTClaimsSet.Builder().issuer(settings.issuer()).build(),
                Set.of(), Set.of());
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, settings.clockSkew().toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
        Map<String, String> toHeaders = settings.claimsToHeaders();
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                Headers in = context.request().headers();
                for (String header : toHeaders.values()) {
                    in.remove(header); // only the verified claim goes upstream under this name
                }
                String token = bearer(in.get("Authorization"));
                if (token == null) {
                    return Verdict.answer(Reply.text(401, "a bearer token is required")
                            .header("WWW-Authenticate", "Bearer"));
                }
                if (!keys.ready()) {
                    keys.retryIfNotReady();
                    return Verdict.answer(503, "the token signing keys are not loaded yet");
                }
                JWTClaimsSet verified;
                try {
                    verified = processor.process(token, null);
                } catch (java.text.ParseException | com.nimbusds.jose.proc.BadJOSEException
                         | com.nimbusds.jose.JOSEException e) {
                    return Verdict.answer(Reply.text(401, "invalid token")
                            .header("WWW-Authenticate", "Bearer error=\"invalid_token\""));
                }
                for (Map.Entry<String, String> e : toHeaders.entrySet()) {
                    Object value = verified.getClaim(e.getKey());
                    if (value != null) {
                        in.set(e.getValue(), value instanceof List<?> list ? join(list) : String.valueOf(value));
                    }
                }
                return Verdict.next();
            }
        };
    }

    /** The token of an {@code Authorization: Bearer TOKEN} field (the scheme in any case); null otherwise. */
    static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static String join(List<?> values) {
        List<String> out = new ArrayList<>();
        for (Object v : values) {
            out.add(String.valueOf(v));
        }
        return String.join(",", out);
    }
}

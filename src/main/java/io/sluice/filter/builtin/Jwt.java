package io.sluice.filter.builtin;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.auth.JwksKeys;
import io.sluice.filter.auth.JwtCheck;
import java.net.URI;
import java.time.Duration;
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
 * <p>Nimbus JOSE + JWT checks the token and the claims ({@link JwtCheck}); the keys come from {@link JwksKeys} (a file, or a URL
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
        // Nimbus's classes load here, with a jwt filter, not with the factory (every factory is loaded at start)
        return new JwtCheck(keys, settings.algorithms(), settings.issuer(), settings.audiences(), settings.clockSkew(),
                settings.claimsToHeaders());
    }
}

package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sluice.filter.api.Reply;
import io.sluice.filter.testkit.FilterTester;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jwt through the test kit, with keys and tokens made by Nimbus. */
class JwtTest {
    @TempDir
    static Path dir;
    static RSAKey rsa;
    static ECKey ec;
    static RSAKey stranger;
    static String jwks;

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate(); // same kid, another key
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
        jwks = file.toString();
    }

    static String token(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static JWTClaimsSet.Builder claims(long expiresInSeconds) {
        return new JWTClaimsSet.Builder().subject("alice").issuer("https://idp.example").audience("orders")
                .expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000))
                .claim("roles", List.of("reader", "writer"));
    }

    private FilterTester tester() throws Exception {
        return FilterTester.of(new Jwt(), "{ jwks_file: '" + jwks + "', issuer: 'https://idp.example', audiences: [orders],"
                + " claims_to_headers: { sub: X-User, roles: X-Roles } }");
    }

    @Test
    void aValidTokenGoesOnWithItsClaimsAsFields() throws Exception {
        try (FilterTester t = tester()) {
            String good = token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(300).build());
            FilterTester.Outcome ok = t.request("GET", "/orders").header("Authorization", "Bearer " + good)
                    .header("X-User", "mallory").send();
            assertThat(ok.passed()).isTrue();
            assertThat(ok.requestHeaders().get("X-User")).containsExactly("alice");
            assertThat(ok.requestHeaders().get("X-Roles")).containsExactly("reader,writer");

            String byEc = token(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec-1", claims(300).build());
            assertThat(t.request("GET", "/").header("Authorization", "bearer " + byEc).send().passed()).isTrue();
        }
    }

    @Test
    void noTokenAndBadTokensAre401WithTheRightChallenge() throws Exception {
        try (FilterTester t = tester()) {
            Reply none = t.request("GET", "/").header("X-User", "mallory").send().reply();
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.headers()).contains(Map.entry("WWW-Authenticate", "Bearer"));

            List<String> bad = List.of(
                    "not-a-jwt",
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(-300).build()), // expired
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(300)
                            .notBeforeTime(new Date(System.currentTimeMillis() + 600_000)).build()), // not yet
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(300).issuer("https://evil").build()),
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(300).audience("billing").build()),
                    token(new RSASSASigner(stranger), JWSAlgorithm.RS256, "rsa-1", claims(300).build()), // wrong key
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-9", claims(300).build()), // unknown kid
                    token(new RSASSASigner(rsa), JWSAlgorithm.RS512, "rsa-1", claims(300).build()), // not allowed
                    token(new MACSigner(new byte[32]), JWSAlgorithm.HS256, "rsa-1", claims(300).build()));
            for (String token : bad) {
                Reply r = t.request("GET", "/").header("Authorization", "Bearer " + token).send().reply();
                assertThat(r).as(token).isNotNull();
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.headers()).contains(Map.entry("WWW-Authenticate", "Bearer error=\"invalid_token\""));
            }
            // within clock_skew (60 s) an expired token still passes
            String justExpired = token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims(-30).build());
            assertThat(t.request("GET", "/").header("Authorization", "Bearer " + justExpired).send().passed()).isTrue();
        }
    }

    @Test
    void settingsAreChecked() throws Exception {
        assertThat(FilterTester.errors(new Jwt(), "{}")).hasSize(1).first().asString()
                .contains("jwt needs one of 'jwks_url' and 'jwks_file'");
        assertThat(FilterTester.errors(new Jwt(), "{ jwks_file: '" + dir.resolve("none.json") + "' }")).hasSize(1)
                .first().asString().contains("cannot read JWK set");
        assertThat(FilterTester.errors(new Jwt(), "{ jwks_file: '" + jwks + "', algorithms: [HS256] }")).hasSize(1)
                .first().asString().contains("unsupported algorithm 'HS256'");
        assertThat(FilterTester.errors(new Jwt(), "{ jwks_url: 'ftp://keys' }")).hasSize(1)
                .first().asString().contains("bad url");
        assertThat(FilterTester.errors(new Jwt(), "{ jwks_file: '" + jwks + "', claims_to_headers: { sub: 'X User' } }"))
                .hasSize(1).first().asString().contains("bad header name 'X User'");
    }
}

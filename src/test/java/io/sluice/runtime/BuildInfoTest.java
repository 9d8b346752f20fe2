package io.sluice.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The version comes from the build's properties file, not from a jar manifest: bin/sluice runs the unpacked jar,
 * which has none (deploy/test/install-test.sh checks {@code sluice version} of the unpacked tarball).
 */
class BuildInfoTest {
    @Test
    void versionIsTheBuildsEvenWithoutAManifest() {
        // the tests run from target/classes: no manifest, as in the unpacked jar
        assertThat(BuildInfo.class.getPackage().getImplementationVersion()).isNull();
        assertThat(BuildInfo.version()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(BuildInfo.labels("epoll")).containsEntry("version", BuildInfo.version());
    }
}

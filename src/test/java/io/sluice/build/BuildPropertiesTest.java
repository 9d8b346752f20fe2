package io.sluice.build;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.BuildInfo;
import org.junit.jupiter.api.Test;

/**
 * The version comes from the build's properties file, not from a jar manifest: bin/sluice runs the unpacked jar,
 * which has none (deploy/test/install-test.sh checks {@code sluice version} of the unpacked tarball).
 */
class BuildPropertiesTest {
    @Test
    void versionIsTheBuildsEvenWithoutAManifest() {
        // the tests run from target/classes: no manifest, as in the unpacked jar
        assertThat(BuildProperties.class.getPackage().getImplementationVersion()).isNull();
        assertThat(BuildProperties.version()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(BuildInfo.labels("epoll")).containsEntry("version", BuildProperties.version())
                .containsEntry("netty", BuildProperties.netty());
        assertThat(BuildProperties.netty()).startsWith("4.2.");
    }
}

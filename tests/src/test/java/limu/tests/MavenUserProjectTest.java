// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's Maven project with dev.limu:limu-junit as its only test
 * dependency boots a kernel with no LIMU_UNICORN_LIB and no limu.home: the
 * shim and libunicorn come out of limu-native's jar.
 *
 * <p>limu's artifacts are laid out by hand in a temporary local repository
 * (what {@code mvn install} would write); everything else Maven needs
 * (plugins, JNA, JUnit) it copies there from the build's own repository,
 * named as a file:// mirror, so nothing is downloaded and the build's
 * repository is only read.
 */
class MavenUserProjectTest {
    private static final String VERSION = System.getProperty("limu.version");

    @TempDir
    Path tmp;

    private static final String USER_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0"
                     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                     xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
              <modelVersion>4.0.0</modelVersion>
              <groupId>com.example</groupId>
              <artifactId>kernel-tests</artifactId>
              <version>1.0</version>
              <properties>
                <maven.compiler.release>17</maven.compiler.release>
                <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
              </properties>
              <dependencies>
                <dependency>
                  <groupId>dev.limu</groupId>
                  <artifactId>limu-junit</artifactId>
                  <version>@VERSION@</version>
                  <scope>test</scope>
                </dependency>
              </dependencies>
              <build>
                <plugins>
                  <plugin>
                    <groupId>org.apache.maven.plugins</groupId>
                    <artifactId>maven-compiler-plugin</artifactId>
                    <version>3.13.0</version>
                  </plugin>
                  <plugin>
                    <groupId>org.apache.maven.plugins</groupId>
                    <artifactId>maven-surefire-plugin</artifactId>
                    <version>3.5.4</version>
                  </plugin>
                </plugins>
              </build>
            </project>
            """;

    private static final String USER_TEST = """
            package example;

            import static limu.junit.LimuAssertions.assertPassed;
            import static limu.junit.LimuAssertions.assertSerialMatches;

            import java.nio.file.Path;
            import java.util.Optional;
            import limu.emulator.harness.KernelRun;
            import limu.emulator.unicorn.UnicornLibrary;
            import limu.junit.LimuMachine;
            import org.junit.jupiter.api.Test;

            class HelloKernelTest {
                @Test
                void helloPassesItsChecks() throws Exception {
                    KernelRun r = LimuMachine.kernel(Path.of("kernels/hello.elf")).successExitCode(33)
                            .failOn("panicked at").run();
                    assertPassed(r);
                    assertSerialMatches(r, "^hello: \\\\d+ checks, 0 failed$");
                    UnicornLibrary u = UnicornLibrary.load(Optional.empty());
                    System.out.println("unicorn in use: " + u.path() + " (" + u.source() + ")");
                }
            }
            """;

    /** Puts {@code jar} and {@code pom} where a local repository keeps dev.limu:artifact:VERSION. */
    private static void layOut(Path repo, String artifact, Path jar, Path pom) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("dev/limu").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null) {
            assertTrue(Files.isRegularFile(jar), jar + " is missing: the modules are packaged before these tests");
            Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
        }
    }

    @Test
    void aProjectWithOnlyLimuJunitBootsAKernel() throws Exception {
        Path home = Limu.HOME;
        Path lib = home.resolve("emulator/target/lib");
        Path repo = Files.createDirectory(tmp.resolve("repository"));
        layOut(repo, "limu-parent", null, home.resolve("pom.xml"));
        layOut(repo, "limu-devices", lib.resolve("limu-devices-" + VERSION + ".jar"), home.resolve("devices/pom.xml"));
        layOut(repo, "limu-bootloader", lib.resolve("limu-bootloader-" + VERSION + ".jar"),
                home.resolve("bootloader/pom.xml"));
        layOut(repo, "limu-native", lib.resolve("limu-native-" + VERSION + ".jar"), home.resolve("native/pom.xml"));
        layOut(repo, "limu-emulator", home.resolve("emulator/target/limu-emulator.jar"), home.resolve("emulator/pom.xml"));
        layOut(repo, "limu-junit", home.resolve("junit/target/limu-junit.jar"), home.resolve("junit/pom.xml"));

        Path buildRepository = Path.of(System.getProperty("limu.maven.repository"));
        Path settings = Files.writeString(tmp.resolve("settings.xml"), """
                <settings>
                  <localRepository>%s</localRepository>
                  <mirrors>
                    <mirror><id>build-repository</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(repo, buildRepository.toUri()));

        Path project = Files.createDirectory(tmp.resolve("kernel-tests"));
        Files.writeString(project.resolve("pom.xml"), USER_POM.replace("@VERSION@", VERSION));
        Path test = Files.createDirectories(project.resolve("src/test/java/example")).resolve("HelloKernelTest.java");
        Files.writeString(test, USER_TEST);
        Files.createDirectory(project.resolve("kernels"));
        Files.copy(Limu.kernel("hello.elf"), project.resolve("kernels/hello.elf"));

        Limu.Result r = Limu.exec(List.of("mvn", "-B", "-s", settings.toString(), "test"), Map.of(), project);

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), r.toString());
        Path cache = Path.of(Optional.ofNullable(System.getenv("XDG_CACHE_HOME")).filter(s -> s.startsWith("/"))
                .orElse(System.getProperty("user.home") + "/.cache"), "limu", "native");
        String sha = Files.readAllLines(home.resolve("native/target/classes/limu/native/linux-x86_64/SHA256SUMS"))
                .stream().filter(l -> l.endsWith("  libunicorn.so.2")).findFirst().orElseThrow().substring(0, 64);
        assertTrue(r.stdout().contains("unicorn in use: " + cache.resolve(sha).resolve("libunicorn.so.2")
                + " (bundled with limu)"), r.toString());
        assertTrue(Files.isDirectory(repo.resolve("org/apache/maven/plugins/maven-surefire-plugin/3.5.4")),
                "Maven used the temporary repository");
    }
}

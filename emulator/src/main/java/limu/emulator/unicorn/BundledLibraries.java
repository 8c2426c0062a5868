// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The native libraries limu-native's jar carries for linux-x86_64 (the JNI
 * shim and Unicorn 2.1.4's {@code libunicorn.so.2}), made loadable.
 *
 * <p>A JVM can only load a shared library from a file, so each library is
 * written once to a per-user cache, {@code $XDG_CACHE_HOME/limu/native/<sha256>/<name>}
 * ({@code ~/.cache} when XDG_CACHE_HOME is unset), keyed by the SHA-256 the
 * build recorded in {@code SHA256SUMS} next to the libraries. A folder there
 * appears only whole: the library is written and checked in a private
 * temporary folder which is then renamed into place, so JVMs extracting at the
 * same time never see half a file, and whichever rename comes second simply
 * finds the folder there. Keying by content means a rebuilt shim gets a
 * folder of its own while an unchanged libunicorn is written only once.
 *
 * <p>The distribution's launcher sets {@code limu.native.dir} to the folder
 * the tarball unpacked the libraries into; they are used from there as they
 * are, nothing is written.
 */
final class BundledLibraries {
    static final String PLATFORM = "linux-x86_64";
    static final String SHIM = "liblimu_shim.so";
    static final String UNICORN = "libunicorn.so.2";
    static final String CHECKSUMS = "SHA256SUMS";
    static final String NATIVE_DIR_PROPERTY = "limu.native.dir";

    /** Opens one bundled file by name; null when it is not there. */
    @FunctionalInterface
    interface Source {
        InputStream open(String name) throws IOException;
    }

    private static BundledLibraries forThisJvm;

    private final Source source;
    private final Path cacheRoot;
    private Map<String, String> sha256ByName;

    BundledLibraries(Source source, Path cacheRoot) {
        this.source = source;
        this.cacheRoot = cacheRoot;
    }

    /** The library {@code name} as a file: from {@code limu.native.dir}, else extracted from the classpath. */
    static Path library(String name) {
        requireSupportedPlatform(System.getProperty("os.name"), System.getProperty("os.arch"));
        String dir = System.getProperty(NATIVE_DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path p = Path.of(dir, name).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new UnicornException(name + " is missing from " + Path.of(dir).toAbsolutePath()
                        + " (-D" + NATIVE_DIR_PROPERTY + "): the unpacked limu distribution is incomplete");
            }
            return p;
        }
        return forThisJvm().extract(name);
    }

    private static synchronized BundledLibraries forThisJvm() {
        if (forThisJvm == null) {
            forThisJvm = new BundledLibraries(name -> BundledLibraries.class.getResourceAsStream(resourceDir() + name),
                    userCache());
        }
        return forThisJvm;
    }

    /** This user's cache of native libraries. */
    static Path userCache() {
        return cacheRoot(Optional.ofNullable(System.getenv("XDG_CACHE_HOME")), System.getProperty("user.home"));
    }

    private static String resourceDir() {
        return "/limu/native/" + PLATFORM + "/";
    }

    /** Where extracted libraries live, per the XDG base directory specification's cache home. */
    static Path cacheRoot(Optional<String> xdgCacheHome, String userHome) {
        // the specification says a relative XDG_CACHE_HOME is invalid and must be ignored
        Path base = xdgCacheHome.filter(s -> !s.isBlank()).map(Path::of).filter(Path::isAbsolute)
                .orElse(Path.of(userHome, ".cache"));
        return base.resolve("limu").resolve("native");
    }

    /** Refuses anything but Linux on x86_64, the one platform the shim and libunicorn are built for. */
    static void requireSupportedPlatform(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        if (!os.equals("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnicornException("limu runs on Linux x86_64 only (its JNI shim and the bundled Unicorn are built"
                    + " for " + PLATFORM + "), and this Java runtime is " + osName + " " + osArch);
        }
    }

    /** The SHA-256 the build recorded for {@code name}. */
    String sha256(String name) {
        String sum = checksums().get(name);
        if (sum == null) {
            throw new UnicornException("limu-native's " + CHECKSUMS + " names no " + name);
        }
        return sum;
    }

    /** {@code name} as a file in the cache, written there first if no JVM did so before. */
    Path extract(String name) {
        return extract(name, sha256(name));
    }

    /** {@code name}, whose content has the SHA-256 {@code sum}, as a file in the cache (written first if need be). */
    Path extract(String name, String sum) {
        Path folder = cacheRoot.resolve(sum);
        Path file = folder.resolve(name);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path partial = null;
        try {
            Files.createDirectories(cacheRoot);
            partial = Files.createTempDirectory(cacheRoot, ".partial-");
            String written = copyHashing(name, partial.resolve(name));
            if (!written.equals(sum)) {
                throw new UnicornException(name + " has SHA-256 " + written + ", not the " + sum
                        + " recorded for it: the jar is damaged");
            }
            try {
                Files.move(partial, folder, StandardCopyOption.ATOMIC_MOVE);
                partial = null;
            } catch (IOException lostRace) {
                // rename(2) onto a folder another JVM has just filled fails; its copy is as good as ours
                if (!Files.isRegularFile(file)) {
                    throw lostRace;
                }
            }
            return file;
        } catch (IOException e) {
            throw new UnicornException("cannot write " + name + " to limu's cache " + cacheRoot + ": " + e
                    + " (set XDG_CACHE_HOME to a writable folder)");
        } finally {
            if (partial != null) {
                deleteTree(partial);
            }
        }
    }

    private String copyHashing(String name, Path to) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        try (InputStream raw = open(name); InputStream in = new DigestInputStream(raw, sha);
             OutputStream out = Files.newOutputStream(to)) {
            in.transferTo(out);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private InputStream open(String name) throws IOException {
        InputStream in = source.open(name);
        if (in == null) {
            throw new UnicornException("limu-native's jar (" + PLATFORM + ") carries no " + name
                    + ": put limu-native on the classpath, or set LIMU_UNICORN_LIB");
        }
        return in;
    }

    private synchronized Map<String, String> checksums() {
        if (sha256ByName == null) {
            Map<String, String> sums = new HashMap<>();
            try (InputStream in = open(CHECKSUMS)) {
                // sha256sum's format: 64 hex digits, two characters (space, space or '*'), the file name
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.length() > 66 && line.substring(0, 64).matches("[0-9a-f]{64}")) {
                        sums.put(line.substring(66).strip(), line.substring(0, 64));
                    }
                }
            } catch (IOException e) {
                throw new UnicornException("cannot read limu-native's " + CHECKSUMS + ": " + e.getMessage());
            }
            sha256ByName = Map.copyOf(sums);
        }
        return sha256ByName;
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // a leftover .partial- folder costs disk space only; the next extraction does not look at it
        }
    }
}

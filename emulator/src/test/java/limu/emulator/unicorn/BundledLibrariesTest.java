// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extraction cache for limu-native's libraries, and where libunicorn is taken from. */
class BundledLibrariesTest {
    @TempDir
    Path cache;

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A jar's worth of bundled files with a SHA256SUMS in sha256sum's own format. */
    private static Map<String, byte[]> bundle(Map<String, byte[]> libraries) throws Exception {
        Map<String, byte[]> files = new HashMap<>(libraries);
        StringBuilder sums = new StringBuilder();
        for (Map.Entry<String, byte[]> e : libraries.entrySet()) {
            sums.append(sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
        }
        files.put(BundledLibraries.CHECKSUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static BundledLibraries.Source from(Map<String, byte[]> files) {
        return name -> files.containsKey(name) ? new ByteArrayInputStream(files.get(name)) : null;
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".partial-")).toList();
        }
    }

    @Test
    void extractsToAFolderNamedByTheContentsHash() throws Exception {
        byte[] shim = "shim build 1".getBytes(StandardCharsets.UTF_8);
        byte[] unicorn = "unicorn 2.1.4".getBytes(StandardCharsets.UTF_8);
        BundledLibraries b = new BundledLibraries(from(bundle(Map.of("liblimu_shim.so", shim,
                "libunicorn.so.2", unicorn))), cache);

        Path s = b.extract("liblimu_shim.so");
        Path u = b.extract("libunicorn.so.2");

        assertEquals(cache.resolve(sha256(shim)).resolve("liblimu_shim.so"), s);
        assertEquals(cache.resolve(sha256(unicorn)).resolve("libunicorn.so.2"), u);
        assertArrayEquals(shim, Files.readAllBytes(s));
        assertArrayEquals(unicorn, Files.readAllBytes(u));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void aRebuiltShimGetsItsOwnFolderAndUnicornIsReused() throws Exception {
        byte[] unicorn = "unicorn 2.1.4".getBytes(StandardCharsets.UTF_8);
        BundledLibraries first = new BundledLibraries(from(bundle(Map.of(
                "liblimu_shim.so", "shim build 1".getBytes(StandardCharsets.UTF_8), "libunicorn.so.2", unicorn))), cache);
        Path shim1 = first.extract("liblimu_shim.so");
        Path unicorn1 = first.extract("libunicorn.so.2");

        AtomicInteger unicornReads = new AtomicInteger();
        Map<String, byte[]> second = bundle(Map.of(
                "liblimu_shim.so", "shim build 2".getBytes(StandardCharsets.UTF_8), "libunicorn.so.2", unicorn));
        BundledLibraries later = new BundledLibraries(name -> {
            if (name.equals("libunicorn.so.2")) {
                unicornReads.incrementAndGet();
            }
            return from(second).open(name);
        }, cache);
        Path shim2 = later.extract("liblimu_shim.so");
        Path unicorn2 = later.extract("libunicorn.so.2");

        assertNotEquals(shim1, shim2);
        assertArrayEquals("shim build 1".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(shim1),
                "a JVM still using the old shim keeps its file");
        assertEquals(unicorn1, unicorn2);
        assertEquals(0, unicornReads.get(), "an unchanged library is not written again");
    }

    @Test
    void aDamagedLibraryIsRefusedAndLeavesNothingBehind() throws Exception {
        Map<String, byte[]> files = bundle(Map.of("libunicorn.so.2", "the real bytes".getBytes(StandardCharsets.UTF_8)));
        files.put("libunicorn.so.2", "other bytes".getBytes(StandardCharsets.UTF_8));
        BundledLibraries b = new BundledLibraries(from(files), cache);

        UnicornException e = assertThrows(UnicornException.class, () -> b.extract("libunicorn.so.2"));

        assertTrue(e.getMessage().contains("the jar is damaged"), e.getMessage());
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void aLibraryTheChecksumsDoNotNameIsAnError() throws Exception {
        BundledLibraries b = new BundledLibraries(from(bundle(Map.of("liblimu_shim.so", new byte[] {1}))), cache);
        UnicornException e = assertThrows(UnicornException.class, () -> b.extract("libunicorn.so.2"));
        assertTrue(e.getMessage().contains("names no libunicorn.so.2"), e.getMessage());
    }

    @Test
    void aMissingBundleSaysWhatToPutOnTheClasspath() {
        BundledLibraries b = new BundledLibraries(name -> null, cache);
        UnicornException e = assertThrows(UnicornException.class, () -> b.extract("libunicorn.so.2"));
        assertTrue(e.getMessage().contains("put limu-native on the classpath"), e.getMessage());
    }

    /**
     * Separate instances stand for separate JVMs: each streams the library
     * slowly, so all are writing at once, and all renames but one find the
     * folder taken.
     */
    @Test
    void concurrentExtractionsAgreeOnOneCompleteFile() throws Exception {
        byte[] library = new byte[256 * 1024];
        for (int i = 0; i < library.length; i++) {
            library[i] = (byte) (i * 31 + (i >> 9));
        }
        Map<String, byte[]> files = bundle(Map.of("libunicorn.so.2", library));
        int racers = 8;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                BundledLibraries jvm = new BundledLibraries(name -> slowly(files.get(name)), cache);
                results.add(pool.submit(() -> {
                    jvm.sha256("libunicorn.so.2");
                    start.await();
                    return jvm.extract("libunicorn.so.2");
                }));
            }
            Path expected = cache.resolve(sha256(library)).resolve("libunicorn.so.2");
            for (Future<Path> f : results) {
                assertEquals(expected, f.get());
            }
            assertArrayEquals(library, Files.readAllBytes(expected));
            assertEquals(List.of(), leftovers());
            try (Stream<Path> s = Files.list(expected.getParent())) {
                assertEquals(List.of(expected), s.toList());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Hands out a few KiB at a time with a pause, so concurrent copies overlap. */
    private static InputStream slowly(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.read(b, off, Math.min(len, 8192));
            }
        };
    }

    @Test
    void theCacheFollowsXdgCacheHome() {
        assertEquals(Path.of("/xdg/cache/limu/native"), BundledLibraries.cacheRoot(Optional.of("/xdg/cache"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/limu/native"), BundledLibraries.cacheRoot(Optional.empty(), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/limu/native"), BundledLibraries.cacheRoot(Optional.of(""), "/home/u"));
        // the XDG base directory specification: relative paths are invalid and ignored
        assertEquals(Path.of("/home/u/.cache/limu/native"), BundledLibraries.cacheRoot(Optional.of("rel/cache"), "/home/u"));
    }

    @Test
    void onlyLinuxOnX86_64IsAccepted() {
        BundledLibraries.requireSupportedPlatform("Linux", "amd64");
        BundledLibraries.requireSupportedPlatform("Linux", "x86_64");
        UnicornException mac = assertThrows(UnicornException.class,
                () -> BundledLibraries.requireSupportedPlatform("Mac OS X", "aarch64"));
        assertTrue(mac.getMessage().contains("limu runs on Linux x86_64 only"), mac.getMessage());
        assertTrue(mac.getMessage().contains("Mac OS X aarch64"), mac.getMessage());
        assertThrows(UnicornException.class, () -> BundledLibraries.requireSupportedPlatform("Linux", "aarch64"));
        assertThrows(UnicornException.class, () -> BundledLibraries.requireSupportedPlatform("Windows 11", "amd64"));
    }

    @Test
    void anExplicitLibraryComesFirstThenTheEnvironmentThenThePropertyThenTheBundle() {
        Path bundled = Path.of("/cache/abc/libunicorn.so.2");
        AtomicInteger bundleAsked = new AtomicInteger();
        java.util.function.Supplier<Path> bundle = () -> {
            bundleAsked.incrementAndGet();
            return bundled;
        };
        Optional<Path> option = Optional.of(Path.of("/opt/a/libunicorn.so.2"));
        Optional<String> env = Optional.of("/opt/b/libunicorn.so.2");
        Optional<String> prop = Optional.of("/opt/c/libunicorn.so.2");

        assertEquals(new UnicornLibrary.Located(Path.of("/opt/a/libunicorn.so.2"), "from --unicorn-lib"),
                UnicornLibrary.locate(option, env, prop, bundle));
        assertEquals(new UnicornLibrary.Located(Path.of("/opt/b/libunicorn.so.2"), "from LIMU_UNICORN_LIB"),
                UnicornLibrary.locate(Optional.empty(), env, prop, bundle));
        assertEquals(new UnicornLibrary.Located(Path.of("/opt/c/libunicorn.so.2"), "from -Dlimu.unicorn.lib"),
                UnicornLibrary.locate(Optional.empty(), Optional.of(" "), prop, bundle));
        assertEquals(0, bundleAsked.get(), "nothing is extracted while another library is named");
        assertEquals(new UnicornLibrary.Located(bundled, "bundled with limu"),
                UnicornLibrary.locate(Optional.empty(), Optional.empty(), Optional.empty(), bundle));
        assertEquals(1, bundleAsked.get());
    }
}

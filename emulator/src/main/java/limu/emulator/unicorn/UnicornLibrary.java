// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Finds, loads and version-checks libunicorn, once per JVM.
 *
 * <p>Where the library comes from, first match wins: an explicit path (the
 * {@code --unicorn-lib} option), the {@code LIMU_UNICORN_LIB} environment
 * variable, the {@code limu.unicorn.lib} system property, then the Unicorn
 * 2.1.4 that limu bundles ({@link BundledLibraries}: limu-native's jar, or the
 * distribution's {@code lib/native}). Unicorn 2.0.x is refused:
 * it walks the guest page tables and then uses the virtual address as the
 * physical one, so no real kernel runs on it.
 */
public final class UnicornLibrary {
    public static final String ENV = "LIMU_UNICORN_LIB";
    public static final int MIN_VERSION = 0x0201_0000;

    private static UnicornLibrary loaded;

    private final Path path;
    private final int version;
    private final String source;

    private UnicornLibrary(Path path, int version, String source) {
        this.path = path;
        this.version = version;
        this.source = source;
    }

    /** The library in use: loads it on first call. */
    public static synchronized UnicornLibrary load(Optional<Path> explicit) {
        BundledLibraries.requireSupportedPlatform(System.getProperty("os.name"), System.getProperty("os.arch"));
        Located where = locate(explicit);
        if (loaded != null) {
            if (!loaded.path.equals(where.path)) {
                throw new UnicornException("libunicorn is already loaded from " + loaded.path
                        + "; one JVM cannot switch to " + where.path);
            }
            return loaded;
        }
        if (!Files.isRegularFile(where.path)) {
            throw new UnicornException("libunicorn not found at " + where.path + " (" + where.source
                    + "); point it at a libunicorn.so.2 of version 2.1 or newer, or leave it unset to use the"
                    + " Unicorn 2.1.4 limu bundles (in a clone, scripts/setup.sh fetches it from PyPI's unicorn wheel)");
        }
        int version;
        JnaStartup.prepare();
        try {
            NativeLibrary library = NativeLibrary.getInstance(where.path.toString());
            version = UcVersion.of(library);
            if (Integer.compareUnsigned(version, MIN_VERSION) < 0) {
                throw new UnicornException("libunicorn at " + where.path + " is version " + describe(version)
                        + "; limu needs Unicorn 2.1 or newer (2.0.x ignores the guest's page-table"
                        + " translation and cannot run a kernel)");
            }
            Uc.register(library);
        } catch (UnsatisfiedLinkError e) {
            throw new UnicornException("cannot load libunicorn from " + where.path + ": " + e.getMessage());
        }
        Shim.load(where.path);
        loaded = new UnicornLibrary(where.path, version, where.source);
        return loaded;
    }

    public Path path() {
        return path;
    }

    /** Unicorn's packed version: major << 24 | minor << 16 | patch << 8 | extra. */
    public int version() {
        return version;
    }

    /** How the library was chosen, e.g. "from LIMU_UNICORN_LIB" or "bundled with limu". */
    public String source() {
        return source;
    }

    public String versionString() {
        return describe(version);
    }

    static String describe(int v) {
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff);
    }

    record Located(Path path, String source) {
    }

    private static Located locate(Optional<Path> explicit) {
        return locate(explicit, Optional.ofNullable(System.getenv(ENV)),
                Optional.ofNullable(System.getProperty("limu.unicorn.lib")),
                () -> BundledLibraries.library(BundledLibraries.UNICORN));
    }

    /** The precedence itself; {@code bundled} is asked only when nothing else names a library. */
    static Located locate(Optional<Path> explicit, Optional<String> env, Optional<String> property,
                          Supplier<Path> bundled) {
        if (explicit.isPresent()) {
            return new Located(explicit.get().toAbsolutePath(), "from --unicorn-lib");
        }
        if (env.filter(s -> !s.isBlank()).isPresent()) {
            return new Located(Path.of(env.get()).toAbsolutePath(), "from " + ENV);
        }
        if (property.filter(s -> !s.isBlank()).isPresent()) {
            return new Located(Path.of(property.get()).toAbsolutePath(), "from -Dlimu.unicorn.lib");
        }
        return new Located(bundled.get(), "bundled with limu");
    }
}

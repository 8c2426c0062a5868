package limu.emulator.unicorn;

import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds, loads and version-checks libunicorn, once per JVM.
 *
 * <p>Where the library comes from, first match wins: an explicit path (the
 * {@code --unicorn-lib} option), the {@code LIMU_UNICORN_LIB} environment
 * variable, the {@code limu.unicorn.lib} system property, then the copy that
 * scripts/setup.sh unpacks from PyPI's {@code unicorn} 2.1.4 wheel into
 * {@code .limu/unicorn/lib} under {@code limu.home}. Unicorn 2.0.x is refused:
 * it walks the guest page tables and then uses the virtual address as the
 * physical one, so no real kernel runs on it.
 */
public final class UnicornLibrary {
    public static final String ENV = "LIMU_UNICORN_LIB";
    public static final int MIN_VERSION = 0x0201_0000;

    private static UnicornLibrary loaded;

    private final Path path;
    private final int version;

    private UnicornLibrary(Path path, int version) {
        this.path = path;
        this.version = version;
    }

    /** The library in use: loads it on first call. */
    public static synchronized UnicornLibrary load(Optional<Path> explicit) {
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
                    + "); run scripts/setup.sh, which unpacks Unicorn 2.1.4 from PyPI's unicorn wheel, or set "
                    + ENV + " to a libunicorn.so.2 of version 2.1 or newer");
        }
        int version;
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
        loaded = new UnicornLibrary(where.path, version);
        return loaded;
    }

    public Path path() {
        return path;
    }

    /** Unicorn's packed version: major << 24 | minor << 16 | patch << 8 | extra. */
    public int version() {
        return version;
    }

    public String versionString() {
        return describe(version);
    }

    static String describe(int v) {
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff);
    }

    private record Located(Path path, String source) {
    }

    private static Located locate(Optional<Path> explicit) {
        if (explicit.isPresent()) {
            return new Located(explicit.get().toAbsolutePath(), "from --unicorn-lib");
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return new Located(Path.of(env).toAbsolutePath(), "from " + ENV);
        }
        String prop = System.getProperty("limu.unicorn.lib");
        if (prop != null && !prop.isBlank()) {
            return new Located(Path.of(prop).toAbsolutePath(), "from -Dlimu.unicorn.lib");
        }
        String home = System.getProperty("limu.home", ".");
        return new Located(Path.of(home, ".limu", "unicorn", "lib", "libunicorn.so.2").toAbsolutePath(),
                "limu's own copy");
    }
}

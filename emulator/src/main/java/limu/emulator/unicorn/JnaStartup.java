// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Two settings JNA reads when its classes initialise, made before they do; together they take about 40 ms
 * off every start (docs/speed.md, "Start-up").
 *
 * <ul>
 * <li>{@code jna.platform.library.path}: without it JNA runs {@code /sbin/ldconfig -p} as a child process
 * (about 20 ms) to list the folders where it looks for libraries named without a path. limu loads libunicorn
 * and its shim by path and the C library by name, which the standard folders set here find.</li>
 * <li>{@code jna.boot.library.path}: without it JNA writes its native part, {@code libjnidispatch.so}, from
 * its jar to a new temporary file at every start and loads that. Here it is written once to limu's cache
 * of native libraries ({@link BundledLibraries}), in a folder named by its SHA-256, and loaded from there;
 * the distribution's {@code lib/native} carries it unpacked. When the cache cannot be written, JNA does as
 * it always does.</li>
 * </ul>
 * Settings made on the command line ({@code -Djna...}) are left as they are; {@code -Dlimu.jnaStartup=false}
 * leaves both to JNA, for measurements.
 */
public final class JnaStartup {
    static final String DISPATCH = "libjnidispatch.so";
    private static final String DISPATCH_RESOURCE = "/com/sun/jna/linux-x86-64/" + DISPATCH;
    private static final String[] LIBRARY_FOLDERS = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
        "/usr/lib64", "/lib64", "/usr/lib", "/lib"};
    private static boolean prepared;

    private JnaStartup() {
    }

    /** Makes both settings unless made already; call before any JNA class is used. */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if ("false".equals(System.getProperty("limu.jnaStartup"))) {
            return;
        }
        if (System.getProperty("jna.platform.library.path") == null) {
            System.setProperty("jna.platform.library.path", Stream.of(LIBRARY_FOLDERS)
                    .filter(d -> Files.isDirectory(Path.of(d))).collect(Collectors.joining(":")));
        }
        if (System.getProperty("jna.boot.library.path") == null) {
            dispatchFolder(Optional.ofNullable(System.getProperty(BundledLibraries.NATIVE_DIR_PROPERTY)),
                    BundledLibraries.userCache())
                    .ifPresent(d -> System.setProperty("jna.boot.library.path", d.toString()));
        }
    }

    /**
     * The folder holding JNA's libjnidispatch.so as a file, when there is or can be one: the distribution's
     * {@code nativeDir} when it has it, else {@code cacheRoot}'s folder for its content.
     */
    static Optional<Path> dispatchFolder(Optional<String> nativeDir, Path cacheRoot) {
        if (nativeDir.isPresent() && !nativeDir.get().isBlank()) {
            Path unpacked = Path.of(nativeDir.get()).toAbsolutePath();
            return Files.isRegularFile(unpacked.resolve(DISPATCH)) ? Optional.of(unpacked) : Optional.empty();
        }
        try (InputStream in = JnaStartup.class.getResourceAsStream(DISPATCH_RESOURCE)) {
            if (in == null) {
                return Optional.empty();
            }
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
            BundledLibraries cache = new BundledLibraries(
                    name -> JnaStartup.class.getResourceAsStream(DISPATCH_RESOURCE), cacheRoot);
            return Optional.of(cache.extract(DISPATCH, sha256).getParent());
        } catch (IOException | NoSuchAlgorithmException | UnicornException e) {
            return Optional.empty();
        }
    }
}

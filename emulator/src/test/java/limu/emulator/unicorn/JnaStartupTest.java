// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where JNA's native part is loaded from when limu starts. */
class JnaStartupTest {
    private static byte[] jnaDispatch() throws Exception {
        try (InputStream in = JnaStartup.class.getResourceAsStream("/com/sun/jna/linux-x86-64/libjnidispatch.so")) {
            return in.readAllBytes();
        }
    }

    @Test
    void writtenOnceToTheCacheInAFolderNamedByItsContent(@TempDir Path cache) throws Exception {
        byte[] jar = jnaDispatch();
        Path folder = JnaStartup.dispatchFolder(Optional.empty(), cache).orElseThrow();
        assertEquals(cache.resolve(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar))),
                folder);
        Path file = folder.resolve(JnaStartup.DISPATCH);
        assertArrayEquals(jar, Files.readAllBytes(file));

        long written = Files.getLastModifiedTime(file).toMillis();
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written - 60_000));
        assertEquals(folder, JnaStartup.dispatchFolder(Optional.empty(), cache).orElseThrow());
        assertEquals(written - 60_000, Files.getLastModifiedTime(file).toMillis(), "the second start wrote it again");
        try (var s = Files.list(cache)) {
            assertEquals(1, s.count(), "no partial folder left behind");
        }
    }

    @Test
    void theDistributionsNativeFolderWhenItCarriesIt(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("cache");
        Path unpacked = Files.createDirectories(dir.resolve("native"));
        assertEquals(Optional.empty(), JnaStartup.dispatchFolder(Optional.of(unpacked.toString()), cache),
                "without the file there JNA is left to do as it does");
        Files.write(unpacked.resolve(JnaStartup.DISPATCH), jnaDispatch());
        assertEquals(Optional.of(unpacked), JnaStartup.dispatchFolder(Optional.of(unpacked.toString()), cache));
        assertTrue(Files.notExists(cache), "an installed limu writes nothing to the cache");
    }

    @Test
    void anUnwritableCacheLeavesJnaToItself(@TempDir Path dir) throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        assertEquals(Optional.empty(), JnaStartup.dispatchFolder(Optional.empty(), notAFolder.resolve("cache")));
    }
}

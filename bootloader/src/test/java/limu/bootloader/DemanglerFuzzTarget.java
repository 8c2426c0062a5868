// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer target: the Rust symbol demangler (legacy {@code _ZN} and v0 {@code _R} manglings) on any symbol
 * name. It must return a name (the symbol itself when it cannot demangle it) of bounded length, never throw or
 * hang.
 */
class DemanglerFuzzTarget {
    @FuzzTest(maxDuration = "1s")
    void fuzz(byte[] bytes) {
        String symbol = new String(bytes, StandardCharsets.UTF_8);
        String name = RustDemangler.demangle(symbol);
        assertNotNull(name);
        assertTrue(name.length() <= Math.max(4096, 16L * symbol.length()),
                () -> "a " + symbol.length() + "-character symbol demangled to " + name.length() + " characters");
    }
}

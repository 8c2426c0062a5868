// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer target: an {@code --expect-file} of any text (placeholders, regex metacharacters, {@code {...}} lines,
 * CR LF) matched against any serial lines. Parsing must never throw (a file is literal text with placeholders,
 * so no file is a bad pattern), nor matching, nor the messages.
 */
class ExpectFileFuzzTarget {
    @FuzzTest(maxDuration = "1s")
    void fuzz(FuzzedDataProvider d) {
        ExpectFile file = ExpectFile.parse("expect.txt", d.consumeString(400));
        ExpectFile.Cursor c = file.cursor();
        int n = 0;
        while (d.remainingBytes() > 0 && n < 50) {
            if (!c.accept(d.consumeString(80), ++n)) {
                assertNotNull(c.mismatch());
                break;
            }
        }
        c.complete();
        assertNotNull(c.awaited());
    }
}

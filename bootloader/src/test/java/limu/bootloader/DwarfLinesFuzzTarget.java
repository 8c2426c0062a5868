// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer target: the DWARF line-table reader on arbitrary {@code .debug_line}, {@code .debug_line_str} and
 * {@code .debug_str} contents. It promises never to throw; an Error (stack overflow, out of memory it did not
 * catch), a hang or an exception from a lookup is a finding.
 */
class DwarfLinesFuzzTarget {
    @FuzzTest(maxDuration = "1s")
    void fuzz(FuzzedDataProvider data) {
        byte[] lineStr = data.consumeBoolean() ? data.consumeBytes(data.consumeInt(0, 256)) : null;
        byte[] str = data.consumeBoolean() ? data.consumeBytes(data.consumeInt(0, 256)) : null;
        long probe = data.consumeLong();
        byte[] line = data.consumeRemainingAsBytes();
        DwarfLines lines = DwarfLines.parse(line, lineStr, str);
        lines.at(probe);
        for (DwarfLines.LineRange r : lines.ranges()) {
            lines.at(r.start());
        }
        DwarfLines.fileTable(line, 0, lineStr, str);
    }
}

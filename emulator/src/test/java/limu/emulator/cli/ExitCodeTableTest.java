// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import limu.emulator.ExitCodes;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** Every exit code limu has (ExitCodes) is in the README's exit-code table and in `limu --help`, and no other. */
class ExitCodeTableTest {
    private static TreeSet<Integer> codes() throws IllegalAccessException {
        TreeSet<Integer> codes = new TreeSet<>();
        for (Field f : ExitCodes.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                codes.add(f.getInt(null));
            }
        }
        return codes;
    }

    @Test
    void theReadmeTableListsEveryCode() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("### Exit codes of `limu run`");
        assertTrue(start >= 0, "the README's exit-code section");
        String section = readme.substring(start, readme.indexOf("\n## ", start));
        TreeSet<Integer> rows = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| (\\d+) \\|").matcher(section);
        while (m.find()) {
            rows.add(Integer.parseInt(m.group(1)));
        }
        assertEquals(codes(), rows);
    }

    @Test
    void helpListsEveryCode() throws Exception {
        List<Integer> listed = new ArrayList<>();
        for (String entry : Main.class.getAnnotation(Command.class).exitCodeList()) {
            String key = entry.substring(0, entry.indexOf(':'));
            if (key.matches("\\d+")) {
                listed.add(Integer.parseInt(key));
            }
        }
        assertEquals(new ArrayList<>(codes()), listed, "in order, once each");
    }
}

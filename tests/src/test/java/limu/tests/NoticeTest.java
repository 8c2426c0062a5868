// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** LICENSE is the GPL-2.0 text, and NOTICE keeps up with what limu bundles and uses. */
class NoticeTest {
    private static String read(String path) throws IOException {
        return Files.readString(Limu.HOME.resolve(path));
    }

    @Test
    void licenseIsTheGpl2Text() throws IOException {
        String license = read("LICENSE");
        assertTrue(license.contains("GNU GENERAL PUBLIC LICENSE") && license.contains("Version 2, June 1991"));
        assertTrue(license.contains("END OF TERMS AND CONDITIONS"));
    }

    /** Every crates.io package in kernel-images/Cargo.lock, with its version, is named in NOTICE. */
    @Test
    void noticeNamesEveryCrateTheTestKernelsUse() throws IOException {
        String notice = read("NOTICE");
        Matcher m = Pattern.compile("\\[\\[package]]\\nname = \"([^\"]+)\"\\nversion = \"([^\"]+)\"\\nsource = \"registry")
                .matcher(read("kernel-images/Cargo.lock"));
        List<String> missing = new ArrayList<>();
        int crates = 0;
        while (m.find()) {
            crates++;
            if (!Pattern.compile("(?m)^  " + Pattern.quote(m.group(1) + " " + m.group(2)) + ": \\S").matcher(notice).find()) {
                missing.add(m.group(1) + " " + m.group(2));
            }
        }
        assertTrue(crates > 10, "Cargo.lock parsed: " + crates + " crates");
        assertTrue(missing.isEmpty(), "NOTICE lacks " + missing + ": run scripts/third-party-crates.sh");
    }

    /** The Java libraries at the versions the parent POM pins, and Unicorn at the version setup.sh fetches. */
    @Test
    void noticeNamesTheJavaLibrariesAndUnicornAtTheirVersions() throws IOException {
        String notice = read("NOTICE");
        String pom = read("pom.xml");
        for (String[] lib : new String[][] {{"jna.version", "JNA (net.java.dev.jna:jna) "},
                {"picocli.version", "picocli (info.picocli:picocli) "},
                {"junit.version", "JUnit 5 (org.junit.jupiter:junit-jupiter "}}) {
            Matcher v = Pattern.compile("<" + Pattern.quote(lib[0]) + ">([^<]+)<").matcher(pom);
            assertTrue(v.find(), lib[0]);
            assertTrue(notice.contains(lib[1] + v.group(1)), "NOTICE names " + lib[1] + v.group(1));
        }
        Matcher unicorn = Pattern.compile("UNICORN_VERSION=(\\S+)").matcher(read("scripts/setup.sh"));
        assertTrue(unicorn.find());
        assertTrue(notice.contains("Unicorn " + unicorn.group(1) + " (libunicorn.so.2)"), notice);
        assertFalse(notice.contains("TODO"));
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import limu.emulator.unicorn.UnicornException;
import limu.emulator.unicorn.UnicornLibrary;
import picocli.CommandLine;

/**
 * {@code limu --version}: what a bug report needs to say which limu ran. The
 * version and commit are baked into build.properties by the emulator's build;
 * Unicorn is loaded to report the library actually in use, found as
 * {@code limu run} finds it.
 */
final class VersionReport implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        Properties build = buildProperties();
        return List.of(
                "limu " + build.getProperty("version", "unknown") + " (commit " + build.getProperty("commit", "unknown") + ")",
                unicornLine(),
                "Java " + Runtime.version() + ", " + System.getProperty("java.vendor") + ", " + System.getProperty("java.home"))
                .toArray(String[]::new);
    }

    static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = VersionReport.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // reported as unknown: the version line must not stop the rest of the report
        }
        return p;
    }

    private static String unicornLine() {
        try {
            UnicornLibrary u = UnicornLibrary.load(Optional.empty());
            return "Unicorn " + u.versionString() + " from " + u.path() + " (" + u.source() + ")";
        } catch (UnicornException e) {
            return "Unicorn unavailable: " + e.getMessage();
        }
    }
}

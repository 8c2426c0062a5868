// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import limu.emulator.coverage.PathMap;
import picocli.CommandLine.Option;

/** {@code --coverage} and {@code --coverage-path-map}, shared by {@code limu run} and {@code limu test}. */
public final class CoverageOptions {
    @Option(names = "--coverage", paramLabel = "FILE.info",
            description = "write line coverage of the kernel's code (every CPU) as an lcov tracefile, for genhtml;"
                    + " `limu test` merges all kernels into one file")
    Path file;

    @Option(names = "--coverage-path-map", paramLabel = "FROM=TO",
            description = "in coverage, source paths starting with FROM start with TO instead (repeatable; the first"
                    + " match wins)")
    List<String> pathMap = new ArrayList<>();

    boolean enabled() {
        return file != null;
    }

    PathMap paths() {
        return new PathMap(pathMap.stream().map(PathMap.Rule::parse).toList());
    }
}

package dev.kith.mesh.spi.cli;

import java.util.List;

/**
 * A {@code kith} client command that a service module adds ({@code kith publish} from the web
 * module): listed in {@code META-INF/services/dev.kith.mesh.spi.cli.KithCommand}, found with {@link
 * java.util.ServiceLoader}, and shown in {@code kith --help}. The command talks to a device's API
 * through the {@link CliClient} it is handed, with the caller's credentials, like the mesh's own
 * commands.
 */
public interface KithCommand {

  /** The word after {@code kith}: lowercase letters and dashes. */
  String name();

  /** The usage lines for {@code kith --help}, without the leading {@code kith}. */
  String usage();

  /** One line on what it does. */
  String summary();

  /**
   * Runs the command.
   *
   * @param args the arguments after the command's name, with {@code --home} and {@code --url}
   *     already taken out (the client has them)
   * @return the exit code: {@link CliClient#OK}, {@link CliClient#FAILURE} or {@link
   *     CliClient#USAGE}
   */
  int run(List<String> args, CliClient client);
}

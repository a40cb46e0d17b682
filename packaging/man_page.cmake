# Writes a gzipped man page for one salvo binary with help2man, from its --help and --version.
# For a binary with subcommands, each subcommand's help becomes a section of its own, so that
# `man salvo` documents `salvo run` and the rest, not only the list of their names.
#
#   cmake -DHELP2MAN=... -DBINARY=... -DNAME=... -DSUBCOMMANDS="run;sweep" -DINCLUDE=extra.h2m
#         -DOUT=salvo.1.gz -P man_page.cmake
get_filename_component(out_dir "${OUT}" DIRECTORY)
get_filename_component(program "${BINARY}" NAME)
set(work "${out_dir}/${program}.h2m")
set(text "")
if(INCLUDE)
  file(READ "${INCLUDE}" text)
endif()
foreach(command IN LISTS SUBCOMMANDS)
  execute_process(COMMAND "${BINARY}" ${command} --help OUTPUT_VARIABLE help
                  RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${BINARY} ${command} --help failed")
  endif()
  # roff: a backslash is \e, and a line that starts with a dot or quote would be a request.
  string(REPLACE "\\" "\\e" help "${help}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
  string(APPEND text "\n[COMMAND: ${program} ${command}]\n.nf\n${help}.fi\n")
endforeach()
file(WRITE "${work}" "${text}")
execute_process(
  COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --name "${NAME}" --section 1
          --include "${work}" --output "${out_dir}/${program}.1" "${BINARY}"
  RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "help2man failed for ${BINARY}")
endif()
execute_process(COMMAND gzip -9nf "${out_dir}/${program}.1" RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "gzip failed for ${out_dir}/${program}.1")
endif()

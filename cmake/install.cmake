# install() rules and the exported package (find_package(entact)).

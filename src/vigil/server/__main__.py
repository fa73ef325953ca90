from vigil.server.manage import main

main()

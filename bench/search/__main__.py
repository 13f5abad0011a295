from bench.search.run import main

raise SystemExit(main())

from emer.cli import main

raise SystemExit(main())

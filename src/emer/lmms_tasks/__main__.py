from emer.lmms_tasks.command import main

raise SystemExit(main())
